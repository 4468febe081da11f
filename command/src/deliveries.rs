//! The deliveries bounded context (DOMAIN.md "deliveries").
