//! The gateway clients against test servers speaking their protocols over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sscard_app::ports::SmsMessage;
use sscard_app::realname::{FaceCheck, FaceVerdict, FaceVerifier, VerifierError};
use sscard_app::sms::{deliver_due, SendError, SmsSender};
use sscard_domain::values::{Mobile, PersonName};
use sscard_gateways::face::HttpFaceVerifier;
use sscard_gateways::sms::{FileSmsSender, HttpSmsSender};
use sscard_testkit::doubles::{png_photo, TestServer, FACE_KEY, NO_MATCH_MARKER, SMS_KEY};
use sscard_testkit::{both_engines, TestDb};

fn message(id: &str, body: &str) -> SmsMessage {
    SmsMessage {
        id: id.into(),
        mobile: Mobile::parse("13800000001").unwrap(),
        body: body.into(),
        created_at: sscard_domain::clock::Clock::now(&sscard_testkit::fixed_clock()),
        attempts: 0,
    }
}

#[tokio::test]
async fn sms_gateway_protocol() {
    let gw = TestServer::sms_gateway().await;
    let sender = HttpSmsSender::new(&gw.url, Some(SMS_KEY.into())).unwrap();
    assert!(!sender.is_test_double());
    sender.send(&message("m1", "验证码123456")).await.unwrap();
    let got = gw.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["mobile"], "13800000001");
    assert_eq!(got[0]["text"], "验证码123456");
    // A wrong key is refused for good; a failing gateway is worth retrying.
    let wrong = HttpSmsSender::new(&gw.url, Some("nope".into())).unwrap();
    assert!(matches!(
        wrong.send(&message("m2", "x")).await,
        Err(SendError::Refused(_))
    ));
    gw.fail_with(503);
    assert!(matches!(
        sender.send(&message("m3", "x")).await,
        Err(SendError::Unavailable(_))
    ));
    // Nobody listening.
    let gone = HttpSmsSender::new("http://127.0.0.1:9/", None).unwrap();
    assert!(matches!(
        gone.send(&message("m4", "x")).await,
        Err(SendError::Unavailable(_))
    ));
}

#[tokio::test]
async fn face_verifier_protocol() {
    let fv = TestServer::face_verifier().await;
    let v = HttpFaceVerifier::new(&fv.url, Some(FACE_KEY.into())).unwrap();
    let check = |photo: Vec<u8>| FaceCheck {
        request_id: "r1".into(),
        id_number: sscard_testkit::fixtures::id(1980, 1, 1, 11),
        name: PersonName::parse("张三").unwrap(),
        media_type: "image/png",
        photo,
    };
    assert_eq!(v.verify(&check(png_photo(b""))).await.unwrap(), FaceVerdict::Match);
    assert_eq!(
        v.verify(&check(png_photo(NO_MATCH_MARKER))).await.unwrap(),
        FaceVerdict::NoMatch {
            reason: "face_mismatch".into()
        }
    );
    let sent = &fv.requests()[0];
    assert_eq!(sent["name"], "张三");
    assert_eq!(sent["photo"]["media_type"], "image/png");
    let unauthorised = HttpFaceVerifier::new(&fv.url, None).unwrap();
    assert!(matches!(
        unauthorised.verify(&check(png_photo(b""))).await,
        Err(VerifierError::Protocol(_))
    ));
    fv.fail_with(502);
    assert!(matches!(
        v.verify(&check(png_photo(b""))).await,
        Err(VerifierError::Unavailable(_))
    ));
    assert!(HttpFaceVerifier::new("not a url", None).is_err());
}

both_engines!(the_outbox_is_delivered_and_failures_retried, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let gw = TestServer::sms_gateway().await;
    let sender = HttpSmsSender::new(&gw.url, Some(SMS_KEY.into())).unwrap();
    ctx.store.enqueue_sms(&message("a", "验证码111111")).await.unwrap();
    ctx.store
        .enqueue_sms(&message("b", "点击 https://evil.example 领取"))
        .await
        .unwrap();
    let done = deliver_due(&ctx, &sender).await.unwrap();
    assert_eq!(
        (done.sent, done.failed),
        (1, 1),
        "the message with a link is never sent"
    );
    assert_eq!(gw.requests().len(), 1);
    // The gateway goes down: the message waits and is retried later, not lost.
    ctx.store.enqueue_sms(&message("c", "验证码222222")).await.unwrap();
    gw.fail_with(503);
    assert_eq!(deliver_due(&ctx, &sender).await.unwrap().failed, 1);
    gw.fail_with(0);
    assert_eq!(
        deliver_due(&ctx, &sender).await.unwrap().sent,
        0,
        "not before its retry time"
    );
    // Five minutes on (a context on the same store, with a later clock).
    let later = sscard_testkit::context(ctx.store.clone(), {
        let c = sscard_testkit::fixed_clock();
        c.advance(chrono::Duration::minutes(5));
        c
    });
    assert_eq!(deliver_due(&later, &sender).await.unwrap().sent, 1);
    assert_eq!(gw.requests().len(), 2);
});

// Two instances of the service (each its own connection pool) deliver one outbox at the same time: every
// message reaches the gateway exactly once (claims are leased; PostgreSQL skips rows another claim holds).
both_engines!(two_instances_send_every_message_exactly_once, |db: TestDb| async move {
    let one = sscard_testkit::ready_context(&db).await;
    let two = sscard_testkit::context(db.store().await, sscard_testkit::fixed_clock());
    let gw = TestServer::sms_gateway().await;
    let sender = HttpSmsSender::new(&gw.url, Some(SMS_KEY.into())).unwrap();
    let n = 60;
    for i in 0..n {
        one.store
            .enqueue_sms(&message(&format!("m{i}"), &format!("【北京社保卡】进度通知{i}")))
            .await
            .unwrap();
    }
    let run = |ctx: sscard_app::AppContext, sender: HttpSmsSender| async move {
        let mut sent = 0;
        loop {
            let d = deliver_due(&ctx, &sender).await.unwrap();
            sent += d.sent;
            if d.sent == 0 && d.failed == 0 {
                return sent;
            }
        }
    };
    let (a, b) = tokio::join!(run(one, sender.clone()), run(two, sender));
    assert_eq!(a + b, n, "sent by the two instances: {a} + {b}");
    let mut ids: Vec<String> = gw
        .requests()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), n as usize);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n as usize, "no message twice");
});

// The gateway answers in 3 seconds and one claim takes 50 messages: the claim's 2-minute lease runs out while
// the first instance is still working through its batch, and the second instance, polling all along, claims
// what is left of it. Each message must still reach the gateway once: a message's lease is renewed just
// before its send, and a message claimed by the other instance since is skipped. (The clock is the test's:
// each answer moves it 3 s, a real 5 ms passes.)
both_engines!(
    a_slow_gateway_and_two_instances_send_each_text_once,
    |db: TestDb| async move {
        let clock = sscard_testkit::fixed_clock();
        let one = sscard_testkit::context(db.store().await, clock.clone());
        let two = sscard_testkit::context(db.store().await, clock.clone());
        let gw = TestServer::sms_gateway().await;
        let advance = clock.clone();
        gw.slow(
            5,
            Some(std::sync::Arc::new(move || {
                advance.advance(chrono::Duration::seconds(3))
            })),
        );
        let sender = HttpSmsSender::new(&gw.url, Some(SMS_KEY.into())).unwrap();
        let n = 60u32;
        for i in 0..n {
            one.store
                .enqueue_sms(&message(&format!("m{i:02}"), &format!("【北京社保卡】进度通知{i}")))
                .await
                .unwrap();
        }
        // Each instance polls until the outbox is empty, as the delivery job would.
        let run = |ctx: sscard_app::AppContext, sender: HttpSmsSender| async move {
            let (mut sent, mut skipped) = (0, 0);
            while ctx.store.pending_sms().await.unwrap() > 0 {
                let d = deliver_due(&ctx, &sender).await.unwrap();
                sent += d.sent;
                skipped += d.skipped;
                assert_eq!(d.failed, 0);
                if d.sent == 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            }
            (sent, skipped)
        };
        let ((a, skipped_a), (b, skipped_b)) = tokio::join!(run(one, sender.clone()), run(two, sender));
        let mut ids: Vec<String> = gw
            .requests()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        let received = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(
            (received, ids.len()),
            (n as usize, n as usize),
            "each text once (sent by the instances: {a} + {b})"
        );
        assert_eq!(a + b, n);
        assert!(
            skipped_a + skipped_b > 0,
            "the lease ran out mid-batch and the other instance took over (else this test proves nothing)"
        );
    }
);

#[tokio::test]
async fn the_file_sink_appends_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSmsSender::new(dir.path().join("sms.jsonl"));
    assert!(sink.is_test_double());
    assert!(sink.read_all().await.unwrap().is_empty());
    sink.send(&message("1", "甲")).await.unwrap();
    sink.send(&message("2", "乙")).await.unwrap();
    let lines = sink.read_all().await.unwrap();
    assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["甲", "乙"]);
}
