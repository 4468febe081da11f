//! gRPC server reflection on both ports, as grpcurl asks it: v1 and v1alpha list
//! exactly the services each port answers, and describe them.

use std::collections::BTreeSet;

use contracts::reflection::{COMMAND_PORT, HEALTH, QUERY_PORT, REFLECTION_V1, REFLECTION_V1ALPHA};
use identity::grpc::AuthedChannel;

use crate::helpers::spawn_platform;

/// `ListServices` and `FileContainingSymbol(first)` over one reflection version
/// (`v1`, `v1alpha`: the same messages in two packages): the services listed, after
/// checking that `first` is described.
macro_rules! listed_over {
    ($version:ident, $channel:expr, $first:expr) => {{
        use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
        use tonic_reflection::pb::$version::ServerReflectionRequest;
        let version = stringify!($version);
        let ask = |request| ServerReflectionRequest {
            host: String::new(),
            message_request: Some(request),
        };
        let requests = [
            ask(MessageRequest::ListServices(String::new())),
            ask(MessageRequest::FileContainingSymbol($first.to_owned())),
        ];
        let mut replies = ServerReflectionClient::new($channel.clone())
            .server_reflection_info(futures::stream::iter(requests))
            .await
            .unwrap_or_else(|e| panic!("reflection {version} answers: {e}"))
            .into_inner();
        let Some(MessageResponse::ListServicesResponse(list)) =
            replies.message().await.unwrap().unwrap().message_response
        else {
            panic!("{version}: not a service list")
        };
        let described = replies.message().await.unwrap().unwrap().message_response;
        assert!(
            matches!(described, Some(MessageResponse::FileDescriptorResponse(f)) if !f.file_descriptor_proto.is_empty()),
            "{version} describes {}",
            $first
        );
        list.service
            .into_iter()
            .map(|s| s.name)
            .collect::<BTreeSet<String>>()
    }};
}

/// What reflection `v1` and `v1alpha` list on `channel`.
async fn listed(channel: &AuthedChannel, first: &str) -> [BTreeSet<String>; 2] {
    [
        listed_over!(v1, channel, first),
        listed_over!(v1alpha, channel, first),
    ]
}

fn with_common(own: &[&str]) -> BTreeSet<String> {
    own.iter()
        .chain(&[HEALTH, REFLECTION_V1, REFLECTION_V1ALPHA])
        .map(|s| (*s).to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_port_lists_exactly_its_own_services_over_reflection_v1_and_v1alpha() {
    let platform = spawn_platform().await;

    let command = listed(&platform.commands, "pitlane.v1.WorkshopCommands").await;
    let query = listed(&platform.queries, "pitlane.v1.Query").await;

    for list in &command {
        assert_eq!(list, &with_common(&COMMAND_PORT));
        assert!(list.contains("pitlane.v1.Audit"));
    }
    for list in &query {
        assert_eq!(
            list,
            &with_common(&QUERY_PORT),
            "no command service on the query port"
        );
    }
}

/// Reflection describes the whole API: it is for callers with a token (any role), not
/// for whoever reaches the port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_answers_no_caller_without_a_token() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    let platform = spawn_platform().await;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let answer = ServerReflectionClient::new(platform.raw_queries.clone())
        .server_reflection_info(futures::stream::iter([request]))
        .await;
    let refused = match answer {
        Err(status) => status,
        Ok(stream) => stream
            .into_inner()
            .message()
            .await
            .expect_err("no service list without a token"),
    };
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
}
