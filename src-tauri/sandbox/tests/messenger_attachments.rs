//! Attachments both ways (customers' files served at `payload.url`, `message_attachments`
//! uploads reused by id, URLs fetched by the Send API, the 25 MB limit) and the Profile API.

mod fb;
mod msgr;

use fb::{SUPPORT, assert_graph_error};
use msgr::{ALL_FIELDS, setup};
use serde_json::json;
use switchboard_sandbox::{AttachmentKind, CustomerAttachment, CustomerMessengerMessage};

fn attachment(kind: AttachmentKind, bytes: &[u8], name: &str) -> CustomerAttachment {
    CustomerAttachment {
        kind,
        bytes: bytes.to_vec(),
        file_name: Some(name.to_owned()),
        mime_type: None,
        sticker_id: None,
    }
}

#[tokio::test]
async fn customer_attachments_of_every_type_are_served_at_their_url() {
    let env = setup(ALL_FIELDS).await;
    let kinds = [
        (
            AttachmentKind::Image,
            "image",
            &b"\x89PNG fake"[..],
            "image/png",
        ),
        (AttachmentKind::Video, "video", b"video bytes", "video/mp4"),
        (AttachmentKind::Audio, "audio", b"audio bytes", "audio/mp4"),
        (
            AttachmentKind::File,
            "file",
            b"%PDF-1.4",
            "application/octet-stream",
        ),
    ];
    let message = CustomerMessengerMessage {
        text: Some("see attached".into()),
        attachments: kinds
            .iter()
            .map(|(kind, _, bytes, _)| attachment(*kind, bytes, "a.bin"))
            .collect(),
        ..CustomerMessengerMessage::default()
    };
    let event = env
        .fb
        .facebook()
        .customer_sends(SUPPORT, &env.psid, message)
        .unwrap();
    let list = event["message"]["attachments"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    for ((_, name, bytes, mime), sent) in kinds.iter().zip(list) {
        assert_eq!(sent["type"], *name);
        let url = sent["payload"]["url"].as_str().unwrap();
        let response = env.fb.http.get(url).send().await.unwrap();
        assert_eq!(response.headers()["content-type"], *mime);
        assert_eq!(&response.bytes().await.unwrap()[..], *bytes);
    }
    let delivered = env.receiver.wait_for(1).await[0].event().1;
    assert_eq!(delivered, event);
}

#[tokio::test]
async fn an_upload_returns_a_reusable_id_that_sends_the_same_bytes() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control
        .customer_writes(SUPPORT, &env.psid, "send me the menu")
        .unwrap();
    let bytes = b"\x89PNG menu".to_vec();
    let (status, body) = env.upload("image", bytes.clone(), "menu.png").await;
    assert_eq!(status, 200, "{body}");
    let id = body["attachment_id"].as_str().unwrap().to_owned();
    assert_eq!(control.attachment_bytes(&id), Some(bytes.clone()));

    for _ in 0..2 {
        let message =
            json!({ "attachment": { "type": "image", "payload": { "attachment_id": id } } });
        let (status, body) = env.send_text("", json!({ "message": message })).await;
        assert_eq!(status, 200, "{body}");
    }
    let sent = control.sent_messenger_messages(SUPPORT);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].attachment_id.as_deref(), Some(id.as_str()));
    assert_eq!(sent[1].attachment_type.as_deref(), Some("image"));
    assert_eq!(sent[1].attachment_bytes.as_deref(), Some(&bytes[..]));

    let unknown =
        json!({ "attachment": { "type": "image", "payload": { "attachment_id": "42" } } });
    let (status, body) = env.send_text("", json!({ "message": unknown })).await;
    assert_graph_error(
        status,
        &body,
        100,
        Some(2_018_047),
        "(#100) Upload attachment failure.",
    );
}

#[tokio::test]
async fn attachment_urls_are_fetched_and_may_be_kept_for_reuse() {
    let env = setup(ALL_FIELDS).await;
    let control = env.fb.facebook();
    control
        .customer_writes(SUPPORT, &env.psid, "photo please")
        .unwrap();
    // Any URL the sandbox can fetch: here its own page picture.
    let url = env.fb.url(&format!("fbcdn/p50x50/{SUPPORT}.png"));
    let message = json!({ "attachment": { "type": "image",
        "payload": { "url": url, "is_reusable": true } } });
    let (status, body) = env.send_text("", json!({ "message": message })).await;
    assert_eq!(status, 200, "{body}");
    let id = body["attachment_id"]
        .as_str()
        .expect("is_reusable gives an id");
    let sent = &control.sent_messenger_messages(SUPPORT)[0];
    assert_eq!(sent.attachment_url.as_deref(), Some(url.as_str()));
    let picture = env
        .fb
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(sent.attachment_bytes.as_deref(), Some(&picture[..]));
    assert_eq!(control.attachment_bytes(id).as_deref(), Some(&picture[..]));

    let broken = json!({ "attachment": { "type": "image",
        "payload": { "url": env.fb.url("fbcdn/attachments/0/missing.png") } } });
    let (status, body) = env.send_text("", json!({ "message": broken })).await;
    let failed = "(#100) Failed to fetch the file from the url";
    assert_graph_error(status, &body, 100, Some(2_018_008), failed);
}

#[tokio::test]
async fn uploads_over_25_mb_are_refused() {
    let env = setup(ALL_FIELDS).await;
    let (status, body) = env
        .upload("file", vec![0u8; 25 * 1024 * 1024 + 1], "big.bin")
        .await;
    let limit = "(#100) Attachment size exceeds allowable limit";
    assert_graph_error(status, &body, 100, Some(2_018_294), limit);
    let (status, body) = env.upload("hologram", vec![1], "x").await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_i64()),
        (400, Some(100))
    );
}

#[tokio::test]
async fn the_profile_api_returns_the_requested_fields_for_the_pages_token() {
    let env = setup(ALL_FIELDS).await;
    let (status, body) = env
        .fb
        .graph_get(
            &env.psid,
            &[
                ("fields", "first_name,last_name,profile_pic"),
                ("access_token", &env.page_token),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["first_name"], "Anna");
    assert_eq!(body["last_name"], "Petrova");
    assert_eq!(
        body.as_object().unwrap().len(),
        3,
        "only the fields asked for"
    );
    let picture = body["profile_pic"].as_str().unwrap();
    let png = env
        .fb
        .http
        .get(picture)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));

    let (_, body) = env
        .fb
        .graph_get(
            &env.psid,
            &[("fields", "first_name"), ("access_token", &env.page_token)],
        )
        .await;
    assert_eq!(body, json!({ "first_name": "Anna" }));
    let (status, body) = env
        .fb
        .graph_get(
            &env.psid,
            &[("fields", "shoe_size"), ("access_token", &env.page_token)],
        )
        .await;
    let nonexisting = "(#100) Tried accessing nonexisting field (shoe_size) on node type (User)";
    assert_graph_error(status, &body, 100, None, nonexisting);

    // Another page's token cannot see this person.
    let user = env.fb.long_lived_token(&[fb::SALES]).await;
    let sales_token = env.fb.page_tokens(&user).await.remove(0).1;
    let (status, body) = env
        .fb
        .graph_get(&env.psid, &[("access_token", &sales_token)])
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["error_subcode"].as_i64()),
        (400, Some(33))
    );
}

#[tokio::test]
async fn the_customer_side_works_over_the_http_control_api_too() {
    let env = setup(ALL_FIELDS).await;
    let base = format!("_sandbox/facebook/pages/{SUPPORT}");
    let post = |path: String, body: serde_json::Value| {
        let request = env.fb.http.post(env.fb.url(&path)).json(&body);
        async move { fb::read(request.send().await.unwrap()).await }
    };
    let (status, body) = post(
        format!("{base}/customers"),
        json!({ "first_name": "Li", "last_name": "Wei" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let psid = body["result"]["psid"].as_str().unwrap().to_owned();
    let message = json!({ "text": "my file", "attachments": [
        { "type": "file", "bytes_base64": "JVBERi0xLjQ=", "file_name": "a.pdf",
          "mime_type": "application/pdf" } ] });
    let (status, body) = post(format!("{base}/customers/{psid}/messages"), message).await;
    assert_eq!(status, 200, "{body}");
    let url = body["result"]["message"]["attachments"][0]["payload"]["url"]
        .as_str()
        .unwrap();
    let pdf = env
        .fb
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&pdf[..], b"%PDF-1.4");

    let reply = json!({ "recipient": { "id": psid }, "message": { "text": "got it" } });
    let (status, _) = env.post_json(&format!("{SUPPORT}/messages"), reply).await;
    assert_eq!(status, 200);
    let sent = env
        .fb
        .get(&env.fb.url(&format!("{base}/sent-messages")))
        .await;
    let (_, body) = fb::read(sent).await;
    assert_eq!(body["result"][0]["text"], "got it");
    assert_eq!(body["result"][0]["recipient_id"], psid.as_str());

    let (status, body) = post(
        format!("{base}/customers/1/messages"),
        json!({ "text": "x" }),
    )
    .await;
    assert_eq!(status, 404, "{body}");
}
