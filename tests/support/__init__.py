"""Fixtures' helpers: real services started on free ports, throwaway databases."""
