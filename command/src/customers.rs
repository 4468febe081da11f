//! The customers bounded context (DOMAIN.md "customers").
