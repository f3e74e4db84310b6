"""PyTorch's answers for a fixed corpus of expressions, committed so that the parity tests run without PyTorch."""
