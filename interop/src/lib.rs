//! Runs real Python Pyro5 5.17 next to pyro for interop tests (PLACEHOLDER).
