"""chainrule measured against micrograd and PyTorch: run ``python benchmarks/run.py``.

The workloads live in ``networks`` (W1, W2: the same network in every engine), ``chain`` (W3, W4:
a deep graph, its time and memory) and ``training`` (W5: ``nn.fit`` on the digits); ``timing``
interleaves the engines and summarises the repetitions.

Beside it: ``floor.py`` (W2's pure-Python floor: the chain rule's own loops, timed alone),
``gc_share.py`` (W1's step with the garbage collector on and off, per engine),
``engine_throughput.py`` (nodes per second of the engine alone) and ``draw_time.py``.
"""
