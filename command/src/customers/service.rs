//! `CustomerCommands` over gRPC: every RPC goes through the command bus.
//!
//! `ErasePersonalData` is two steps, in this order (ADR 010):
//! 1. the command appends `customer.personal_data_erased.v1` (nothing if the customer
//!    already is erased);
//! 2. the customer's key is erased from the vault (a no-op if it already is).
//!
//! The event first, because it is what makes the erasure part of history and what stops
//! the aggregate from ever sealing new data for the customer; the key second, because
//! once it is gone the data is unreadable for good. A crash between the two leaves the
//! event without the erasure of the key: the client sees an error (or no reply) and
//! retries, the command then appends nothing and the key is erased — the retry completes
//! the job. The other order could leave a customer whose data is unreadable while the
//! log still calls it registered.

use contracts::v1::customer_commands_server::CustomerCommands;
use contracts::v1::{
    CommandReply, ErasePersonalDataRequest, RegisterCustomerRequest, UpdateCustomerContactRequest,
};
use tonic::{Request, Response, Status};

use crate::error::AppError;

crate::command_rpcs! {
    impl CustomerCommands for Service {
        register_customer(RegisterCustomerRequest);
        update_customer_contact(UpdateCustomerContactRequest);
    }
    by hand for ErasePersonalDataRequest {
        async fn erase_personal_data(
            &self,
            request: Request<ErasePersonalDataRequest>,
        ) -> Result<Response<CommandReply>, Status> {
            let reply = self.bus.dispatch(request).await?;
            if let Some(vault) = self.bus.vault() {
                // The customer's stream is the subject of its personal data; the reply
                // names it in canonical form whether the erasure was appended now,
                // earlier, or is an idempotent replay.
                let subject = reply
                    .get_ref()
                    .token
                    .as_ref()
                    .map(|token| token.stream_id.as_str())
                    .unwrap_or_default();
                if !subject.is_empty() {
                    vault.erase(subject).await.map_err(AppError::from)?;
                    tracing::info!(%subject, "personal data key erased");
                }
            }
            Ok(reply)
        }
    }
}
