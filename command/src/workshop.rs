//! The workshop bounded context (DOMAIN.md "workshop").
