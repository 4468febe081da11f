//! End-to-end tests across processes live in `tests/`; this library is empty on purpose.
