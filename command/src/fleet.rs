//! The fleet bounded context (DOMAIN.md "fleet").
