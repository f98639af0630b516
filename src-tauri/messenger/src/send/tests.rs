use super::*;
use crate::window::send_policy;

fn offline() -> GraphApi {
    // Nothing listens on port 9: any call that went out would fail as Network.
    GraphApi::new("http://127.0.0.1:9", "http://127.0.0.1:9").unwrap()
}

fn token() -> Secret {
    Secret::new("PAGE-TOKEN")
}

fn closed() -> SendPolicy {
    send_policy(10 * 24 * 3600 * 1000, Some(0), true, true)
}

#[tokio::test]
async fn a_closed_window_is_refused_without_calling_facebook() {
    let graph = offline();
    let error = graph
        .send_text("PAGE", &token(), "PSID", "hello", &closed())
        .await
        .unwrap_err();
    assert!(error.sent.is_empty());
    let SendError::WindowClosed { why, reason } = &error.error else {
        panic!("{error:?}")
    };
    assert_eq!(*why, ClosedWhy::HumanAgentWindowOver);
    assert!(
        reason.starts_with("The customer last wrote 10 days ago"),
        "{reason}"
    );
    assert_eq!(
        error.error.failure(),
        SendFailure::Refused {
            reason: reason.clone()
        }
    );

    let error = graph
        .send_attachment(
            "PAGE",
            &token(),
            "PSID",
            AttachmentType::Image,
            "A1",
            &closed(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::WindowClosed { .. }), "{error:?}");
}

#[tokio::test]
async fn empty_texts_and_unsendable_files_are_refused_locally() {
    let graph = offline();
    let open = send_policy(0, Some(0), false, true);
    let error = graph
        .send_text("PAGE", &token(), "PSID", " \n ", &open)
        .await
        .unwrap_err();
    assert_eq!(
        error.error,
        SendError::Invalid("The message is empty.".into())
    );

    let upload = |bytes: Vec<u8>, mime: &'static str| {
        let graph = graph.clone();
        async move {
            graph
                .upload_attachment("PAGE", &token(), AttachmentType::File, "a.bin", mime, bytes)
                .await
                .unwrap_err()
        }
    };
    assert_eq!(
        upload(vec![0; MAX_ATTACHMENT_BYTES + 1], "application/pdf").await,
        SendError::Invalid(
            "The file a.bin is 25.0 MB; Messenger accepts files up to 25 MB.".into()
        )
    );
    assert_eq!(
        upload(Vec::new(), "application/pdf").await,
        SendError::Invalid("The file a.bin is empty.".into())
    );
    assert!(matches!(
        upload(vec![1], "not a mime\n").await,
        SendError::Invalid(text) if text.contains("not a file type")
    ));
}

#[tokio::test]
async fn a_network_failure_is_a_retry_and_keeps_the_token_out_of_the_error() {
    let graph = offline();
    let open = send_policy(0, Some(0), false, true);
    let error = graph
        .send_text("PAGE", &token(), "PSID", "hello", &open)
        .await
        .unwrap_err();
    assert!(matches!(error.error.failure(), SendFailure::Retry { .. }));
    assert!(!format!("{error:?} {error}").contains("PAGE-TOKEN"));
}

#[tokio::test]
async fn downloads_are_only_from_the_web() {
    for url in ["file:///etc/passwd", "ftp://x/y", "not a url"] {
        let error = offline().download(url).await.unwrap_err();
        assert_eq!(
            error,
            GraphError::Protocol("the attachment address is not a web URL".into())
        );
    }
}

#[test]
fn mime_types_choose_how_messenger_shows_the_file() {
    assert_eq!(AttachmentType::for_mime("image/png"), AttachmentType::Image);
    assert_eq!(
        AttachmentType::for_mime(" Video/MP4"),
        AttachmentType::Video
    );
    assert_eq!(AttachmentType::for_mime("audio/ogg"), AttachmentType::Audio);
    assert_eq!(
        AttachmentType::for_mime("application/pdf"),
        AttachmentType::File
    );
    assert_eq!(AttachmentType::for_mime(""), AttachmentType::File);
}

#[test]
fn a_profile_names_whoever_it_can() {
    let profile = |first: Option<&str>, last: Option<&str>| Profile {
        first_name: first.map(Into::into),
        last_name: last.map(Into::into),
        profile_pic: None,
    };
    assert_eq!(
        profile(Some("Ada"), Some("Lovelace"))
            .display_name()
            .as_deref(),
        Some("Ada Lovelace")
    );
    assert_eq!(
        profile(None, Some("Lovelace")).display_name().as_deref(),
        Some("Lovelace")
    );
    assert_eq!(profile(Some(" "), None).display_name(), None);
}

#[test]
fn ids_come_as_strings_or_numbers() {
    assert_eq!(id_text(&json!("123")).as_deref(), Some("123"));
    assert_eq!(
        id_text(&json!(263902037430900_u64)).as_deref(),
        Some("263902037430900")
    );
    assert_eq!(id_text(&json!("")), None);
    assert_eq!(id_text(&json!(null)), None);
}
