use super::*;
use serde_json::json;

fn fixture(name: &str) -> Vec<WebhookItem> {
    let path = format!(
        "{}/fixtures/webhook/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect(&path);
    let body: Value = serde_json::from_str(&text).expect("fixture JSON");
    parse_body(&body).expect("a page webhook")
}

/// The events of a fixture, all of which must parse.
fn events(name: &str) -> Vec<MessengerEvent> {
    fixture(name)
        .into_iter()
        .map(|item| item.event.expect("a well-formed event"))
        .collect()
}

fn attachment(kind: AttachmentKind, url: &str) -> IncomingAttachment {
    IncomingAttachment {
        kind,
        url: Some(url.into()),
        sticker_id: None,
        title: None,
    }
}

/// One malformed event and the words of its error.
fn check_error(event: Value, expected: &str) {
    let error = parse_event("PAGE", &event).expect_err("malformed");
    assert_eq!(error.to_string(), expected);
}

#[test]
fn a_text_batch_keeps_each_entrys_page_id_and_order() {
    let items = fixture("text_batch");
    let pages: Vec<&str> = items.iter().map(|i| i.page_id.as_str()).collect();
    assert_eq!(pages, ["1895382890692545", "189538289069256"]);
    assert!(items.iter().all(|i| i.channel == Channel::Messaging));
    assert_eq!(
        items[0].event,
        Ok(MessengerEvent::Message {
            psid: "1412611362105802".into(),
            page_id: "1895382890692545".into(),
            mid: "mid.1486464322190:cb04e5a654".into(),
            text: Some("test 1".into()),
            attachments: vec![],
            reply_to_mid: None,
            timestamp: 1486464322190,
        })
    );
}

#[test]
fn a_reply_names_the_message_it_answers_and_a_quick_reply_is_its_text() {
    let events = events("reply_and_quick_reply");
    let MessengerEvent::Message {
        reply_to_mid, text, ..
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        reply_to_mid.as_deref(),
        Some("m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU")
    );
    assert_eq!(text.as_deref(), Some("hello, world!"));
    let MessengerEvent::Message {
        text, reply_to_mid, ..
    } = &events[1]
    else {
        panic!("{events:?}")
    };
    assert_eq!((text.as_deref(), reply_to_mid), (Some("Red"), &None));
}

#[test]
fn every_attachment_type_is_read_with_its_url_or_title() {
    let events = events("attachments");
    let MessengerEvent::Message {
        attachments, text, ..
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    assert_eq!(text, &None);
    assert_eq!(
        attachments,
        &[
            attachment(
                AttachmentKind::Image,
                "https://scontent.xx.fbcdn.net/v/t35.0-12/17887258_1429713783754592_1626047672_o.jpg?_nc_ad=z-m&oh=e44af5a4c973541ef56333202f160720&oe=58ECF78B"
            ),
            attachment(
                AttachmentKind::Video,
                "https://example.com/bot/videos/video.mp4"
            ),
            attachment(
                AttachmentKind::Audio,
                "https://example.com/bot/audios/audio.mp3"
            ),
            attachment(
                AttachmentKind::File,
                "https://example.com/bot/files/file.doc"
            ),
            IncomingAttachment {
                title: Some("TITLE_OF_THE_URL_ATTACHMENT".into()),
                ..attachment(AttachmentKind::Fallback, "URL_OF_THE_ATTACHMENT")
            },
            IncomingAttachment {
                url: None,
                ..attachment(AttachmentKind::Other("location".into()), "")
            },
        ]
    );
}

#[test]
fn stickers_old_new_and_both_during_the_transition_are_one_sticker_each() {
    let stickers: Vec<Vec<IncomingAttachment>> = events("stickers")
        .into_iter()
        .map(|event| match event {
            MessengerEvent::Message { attachments, .. } => attachments,
            other => panic!("{other:?}"),
        })
        .collect();
    let only = |attachments: &[IncomingAttachment]| {
        assert_eq!(attachments.len(), 1, "{attachments:?}");
        assert_eq!(attachments[0].kind, AttachmentKind::Sticker);
        attachments[0].sticker_id.clone().unwrap()
    };
    // The old `image` with `sticker_id` (here the thumbs-up).
    assert_eq!(only(&stickers[0]), "369239263222822");
    // Both types for one sticker: kept once.
    assert_eq!(only(&stickers[1]), "369239343222814");
    // The new type alone, its id as a string.
    assert_eq!(only(&stickers[2]), "369239383222810");
    assert_eq!(
        stickers[2][0].url.as_deref(),
        Some("https://scontent.xx.fbcdn.net/sticker.png")
    );
}

#[test]
fn a_sticker_id_only_on_the_message_still_makes_the_image_a_sticker() {
    let event = json!({"sender": {"id": "P"}, "timestamp": 1,
        "message": {"mid": "m", "sticker_id": 42,
            "attachments": [{"type": "image", "payload": {"url": "https://x/s.png"}}]}});
    let MessengerEvent::Message { attachments, .. } = parse_event("PAGE", &event).unwrap() else {
        panic!()
    };
    assert_eq!(attachments[0].kind, AttachmentKind::Sticker);
    assert_eq!(attachments[0].sticker_id.as_deref(), Some("42"));
}

#[test]
fn an_echo_names_the_person_as_recipient_and_the_app_that_sent_it() {
    assert_eq!(
        events("echo"),
        [MessengerEvent::Echo {
            page_id: "1134713619900975".into(),
            psid: "1244813222196986".into(),
            mid: "mid.$cAARS90328R5hrBz-Vlbete17ftIb".into(),
            text: Some("text".into()),
            attachments: vec![],
            app_id: Some("1821152484774199".into()),
            metadata: Some("<DEVELOPER_DEFINED_METADATA_STRING>".into()),
            // Written as 1492414608982.0 by some senders.
            timestamp: 1492414608982,
        }]
    );
}

#[test]
fn standby_events_say_so_and_a_standby_postback_has_no_payload() {
    let items = fixture("standby");
    assert!(items.iter().all(|i| i.channel == Channel::Standby));
    assert!(items.iter().all(|i| i.page_id == "1570053170000"));
    let events: Vec<_> = items.into_iter().map(|i| i.event.unwrap()).collect();
    assert!(matches!(
        &events[0],
        MessengerEvent::Message { psid, text: Some(text), .. }
            if psid == "2290010101" && text == "Is anyone there?"
    ));
    let MessengerEvent::Echo {
        psid,
        app_id,
        attachments,
        ..
    } = &events[1]
    else {
        panic!("{events:?}")
    };
    assert_eq!(psid, "2290010101");
    assert_eq!(app_id.as_deref(), Some("1517776481860111"));
    assert_eq!(
        attachments[0],
        IncomingAttachment {
            kind: AttachmentKind::Other("template".into()),
            url: Some("https://www.facebook.com/commerce/update/".into()),
            sticker_id: None,
            // Meta sends an empty title; kept as given.
            title: Some(String::new()),
        }
    );
    assert_eq!(
        events[2],
        MessengerEvent::Postback {
            psid: "2290010101".into(),
            mid: Some("m_postback_1".into()),
            title: Some("Talk to a person".into()),
            payload: None,
            timestamp: 1570053170700,
        }
    );
    assert_eq!(
        events[3],
        MessengerEvent::Read {
            psid: "2290010101".into(),
            watermark: 1570053170673
        }
    );
}

#[test]
fn postbacks_reads_and_deliveries() {
    assert_eq!(
        events("postback_read_delivery"),
        [
            MessengerEvent::Postback {
                psid: "1476077422222289".into(),
                mid: Some("m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P".into()),
                title: Some("Get Started".into()),
                payload: Some("__GET_STARTED__".into()),
                timestamp: 1522222894827,
            },
            MessengerEvent::Read {
                psid: "1476077422222289".into(),
                watermark: 1458668856253
            },
            // A delivery may come without a timestamp.
            MessengerEvent::Delivery {
                psid: "1476077422222289".into(),
                mids: vec!["mid.1458668856218:ed81099e15d3f4f233".into()],
                watermark: 1458668856253
            },
        ]
    );
}

#[test]
fn handover_events_pass_take_and_request() {
    let metadata = || Some("additional content that the caller wants to set".to_owned());
    let psid = || "1423587017700273".to_owned();
    assert_eq!(
        events("handover"),
        [
            MessengerEvent::PassThreadControl {
                psid: psid(),
                previous_owner_app_id: Some("123456789".into()),
                new_owner_app_id: "987654321".into(),
                metadata: metadata(),
            },
            MessengerEvent::PassThreadControl {
                psid: psid(),
                previous_owner_app_id: None,
                new_owner_app_id: "123456789".into(),
                metadata: metadata(),
            },
            MessengerEvent::TakeThreadControl {
                psid: psid(),
                previous_owner_app_id: "123456789".into(),
                new_owner_app_id: Some("263902037430900".into()),
                metadata: metadata(),
            },
            MessengerEvent::RequestThreadControl {
                psid: psid(),
                requested_owner_app_id: "263902037430900".into(),
                metadata: metadata(),
            },
        ]
    );
}

#[test]
fn events_switchboard_does_not_handle_are_unknown_with_a_reason() {
    let reasons: Vec<String> = events("unhandled")
        .into_iter()
        .map(|event| match event {
            MessengerEvent::Unknown { reason } => reason,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "`reaction` events are not handled",
            "`referral` events are not handled",
            "`optin` events are not handled",
            "`policy-enforcement` events are not handled",
            "an event of an unknown kind (fields: brand_new_thing)",
        ]
    );
    assert_eq!(
        parse_event("P", &json!({})),
        Ok(MessengerEvent::Unknown {
            reason: "an event with no content".into()
        })
    );
}

#[test]
fn malformed_events_name_the_field_and_never_the_value() {
    check_error(
        json!({"timestamp": 1, "message": {"mid": "m", "text": "secret words"}}),
        "the webhook event is missing `sender`",
    );
    check_error(
        json!({"sender": {}, "timestamp": 1, "message": {"mid": "m"}}),
        "the webhook event is missing `sender.id`",
    );
    check_error(
        json!({"sender": {"id": true}, "timestamp": 1, "message": {"mid": "m"}}),
        "`sender.id` in the webhook event should be an id, not true/false",
    );
    check_error(
        json!({"sender": {"id": "P"}, "timestamp": 1, "message": {"mid": "m", "text": 12}}),
        "`message.text` in the webhook event should be text, not a number",
    );
    check_error(
        json!({"sender": {"id": "P"}, "timestamp": "yesterday", "message": {"mid": "m"}}),
        "`timestamp` in the webhook event should be a time in milliseconds, not text",
    );
    check_error(
        json!({"sender": {"id": "P"}, "message": {"mid": "m"}}),
        "the webhook event is missing `timestamp`",
    );
    check_error(
        json!({"sender": {"id": "P"}, "timestamp": 1, "message": {"text": "hi"}}),
        "the webhook event is missing `message.mid`",
    );
    check_error(
        json!({"sender": {"id": "P"}, "timestamp": 1, "message": "hi"}),
        "`message` in the webhook event should be an object, not text",
    );
    check_error(
        json!({"sender": {"id": "P"}, "timestamp": 1,
            "message": {"mid": "m", "attachments": [{"payload": {"url": "u"}}]}}),
        "the webhook event is missing `message.attachments[0].type`",
    );
    check_error(
        json!({"sender": {"id": "P"}, "timestamp": 1,
            "message": {"mid": "m", "attachments": [{"type": "image"}, "x"]}}),
        "`message.attachments[1]` in the webhook event should be an object, not text",
    );
    check_error(
        json!({"sender": {"id": "P"}, "timestamp": 1,
            "message": {"mid": "m", "is_echo": "yes"}}),
        "`message.is_echo` in the webhook event should be true or false, not text",
    );
    check_error(
        json!({"sender": {"id": "PAGE"}, "timestamp": 1,
            "message": {"mid": "m", "is_echo": true}}),
        "the webhook event is missing `recipient`",
    );
    check_error(
        json!({"sender": {"id": "P"}, "delivery": {"mids": ["a", 3], "watermark": 1}}),
        "`delivery.mids[1]` in the webhook event should be an id, not a number",
    );
    check_error(
        json!({"sender": {"id": "P"}, "pass_thread_control": {"metadata": "m"}}),
        "the webhook event is missing `pass_thread_control.new_owner_app_id`",
    );
    check_error(
        json!({"sender": {"id": "P"}, "timestamp": 1.5, "postback": {}}),
        "`timestamp` in the webhook event should be a time in milliseconds, not a number",
    );
    check_error(
        json!([1]),
        "`the event` in the webhook event should be an object, not a list",
    );
}

#[test]
fn null_fields_read_as_absent() {
    let event = json!({"sender": {"id": "P"}, "timestamp": 5,
        "message": {"mid": "m", "text": null, "attachments": null, "reply_to": null}});
    assert_eq!(
        parse_event("PAGE", &event),
        Ok(MessengerEvent::Message {
            psid: "P".into(),
            page_id: "PAGE".into(),
            mid: "m".into(),
            text: None,
            attachments: vec![],
            reply_to_mid: None,
            timestamp: 5,
        })
    );
}

#[test]
fn a_bad_event_does_not_spoil_its_neighbours_but_a_bad_body_is_refused() {
    let body = json!({"object": "page", "entry": [{"id": 77, "messaging": [
        {"message": {"mid": "m"}},
        {"sender": {"id": "P"}, "read": {"watermark": 9}}
    ]}]});
    let items = parse_body(&body).unwrap();
    assert_eq!(items[0].page_id, "77");
    assert!(items[0].event.is_err());
    assert_eq!(
        items[1].event,
        Ok(MessengerEvent::Read {
            psid: "P".into(),
            watermark: 9
        })
    );

    let refused = |body: Value| {
        parse_body(&body)
            .expect_err("not a page webhook")
            .to_string()
    };
    assert_eq!(
        refused(json!({"object": "instagram", "entry": []})),
        "the webhook body is not a Page webhook: `object` is \"instagram\", not \"page\""
    );
    assert_eq!(
        refused(json!({"entry": []})),
        "the webhook body is not a Page webhook: `object` is missing"
    );
    assert_eq!(
        refused(json!({"object": "page", "entry": {}})),
        "`entry` in the webhook event should be a list, not an object"
    );
    assert_eq!(
        refused(json!({"object": "page", "entry": [{"messaging": []}]})),
        "the webhook event is missing `entry[0].id`"
    );
}

#[test]
fn the_dashboard_test_entry_adds_no_events() {
    let items = fixture("unhandled");
    assert!(items.iter().all(|i| i.page_id == "707356222221168"));
}
