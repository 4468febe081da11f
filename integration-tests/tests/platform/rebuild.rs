use contracts::v1::*;
use tonic::Code;

use crate::helpers::{detail, new_id, spawn_platform, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_switches_to_new_tables_with_the_same_answers() {
    let platform = spawn_platform().await;
    let mut last = None;
    for n in 0..20 {
        last = Some(token(
            platform
                .fleet()
                .register_driver(RegisterDriverRequest {
                    driver_id: new_id(),
                    name: format!("Driver {n:02}"),
                    driving_licence_number: format!("DL-{n}"),
                    idempotency_key: None,
                })
                .await
                .unwrap(),
        ));
    }
    let list = || ListDriversRequest {
        wait_for: last.clone().into_iter().collect(),
        page: Some(PageRequest {
            page_size: 100,
            page_token: String::new(),
        }),
        ..Default::default()
    };
    let before = platform
        .query()
        .list_drivers(list())
        .await
        .unwrap()
        .into_inner();

    platform.rebuild("drivers").await;
    let after = platform
        .query()
        .list_drivers(list())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_an_unknown_read_model_names_the_field() {
    let platform = spawn_platform().await;
    let status = platform
        .query()
        .rebuild_read_models(RebuildReadModelsRequest {
            projections: vec!["nonsense".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).field, "projections");
}
