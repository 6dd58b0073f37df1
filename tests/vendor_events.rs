//! For each vendor: one payload per documented event type decodes into its own variant; an
//! unknown type into `Unknown`; an unknown enum value into the fallback; a body that breaks
//! the schema into an error that still hands back the raw body.

use serde_json::{json, Value};

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

mod roomz {
    use super::*;
    use roomz_webhooks::{Event, PresenceStatus};

    fn payload(event_type: &str) -> Value {
        let envelope = json!({"id": "4f6aa5b6-8d68-4b48-b779-861fba5c20ba", "type": event_type, "timestamp": "2024-02-02T09:13:44+0000"});
        let mut v = envelope;
        let id = "df801b47-b7be-48e8-8e21-20e20c75906c";
        match event_type.split('.').next().unwrap() {
            "building" => v["buildingId"] = json!(id),
            "floor" => v["floorId"] = json!(id),
            _ if event_type == "workspace.presence.changed" => {
                v["data"] = json!({"workspaceId": id, "presenceStatus": "Busy"});
            }
            _ => v["workspaceId"] = json!(id),
        }
        v
    }

    #[test]
    fn every_documented_event_type_decodes_into_its_variant() {
        let documented = [
            "workspace.presence.changed",
            "building.created",
            "building.updated",
            "building.deleted",
            "floor.created",
            "floor.updated",
            "floor.deleted",
            "workspace.created",
            "workspace.updated",
            "workspace.deleted",
            "workspace.status.updated",
        ];
        assert_eq!(Event::TYPES.len(), documented.len());
        for t in documented {
            let event =
                Event::from_slice(&bytes(&payload(t))).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert!(
                !matches!(event, Event::Unknown(_)),
                "{t} decoded as Unknown"
            );
            assert_eq!(event.event_type(), t);
            assert_eq!(
                event.id().as_deref(),
                Some("4f6aa5b6-8d68-4b48-b779-861fba5c20ba")
            );
            assert!(event.timestamp().is_some());
        }
        match Event::from_slice(&bytes(&payload("workspace.status.updated"))).unwrap() {
            Event::WorkspaceStatusUpdated(e) => assert_eq!(
                e.workspace_id.to_string(),
                "df801b47-b7be-48e8-8e21-20e20c75906c"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_event_type_is_kept() {
        let body = json!({"id": "4f6aa5b6-8d68-4b48-b779-861fba5c20ba", "type": "desk.booked", "extra": [1, 2]});
        match Event::from_slice(&bytes(&body)).unwrap() {
            Event::Unknown(u) => {
                assert_eq!(u.event_type.as_deref(), Some("desk.booked"));
                assert_eq!(u.payload, body);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_enum_value_decodes_into_the_fallback() {
        // The vendor's own example says "busy" where the enum says "Busy".
        let mut body = payload("workspace.presence.changed");
        body["data"]["presenceStatus"] = json!("busy");
        let Event::WorkspacePresenceChanged(e) = Event::from_slice(&bytes(&body)).unwrap() else {
            panic!()
        };
        assert_eq!(
            e.data.presence_status,
            Some(PresenceStatus::Unknown("busy".into()))
        );
        // An open enum writes an unknown value back as it came.
        assert_eq!(
            serde_json::to_value(&e.data.presence_status).unwrap(),
            "busy"
        );
    }

    #[test]
    fn schema_violation_is_an_error_that_keeps_the_body() {
        let mut body = payload("workspace.status.updated");
        body["workspaceId"] = json!(42);
        let raw = bytes(&body);
        let err = Event::from_slice(&raw).unwrap_err();
        assert_eq!(err.raw_body(), raw.as_slice());
        assert_eq!(err.path, "workspaceId");
        assert_eq!(err.event_type.as_deref(), Some("workspace.status.updated"));
    }
}

mod roam {
    use super::*;
    use roam_webhooks::Event;

    const DOCUMENTED: [&str; 13] = [
        "chat:message:dm",
        "chat:message:channel",
        "chat:message:mention",
        "chat:message:reaction",
        "recording:saved",
        "transcript:saved",
        "lobby:booked",
        "user:status:update",
        "onair.event.created",
        "onair.event.updated",
        "onair.event.canceled",
        "onair.guest.rsvp",
        "onair.guest.added",
    ];

    fn payload(t: &str) -> Value {
        let data = if t == "lobby:booked" {
            json!({"id": "b1", "start": "2025-03-01T10:00:00Z", "end": "2025-03-01T10:30:00Z", "status": "confirmed"})
        } else {
            json!({"id": "x1", "somethingNew": true})
        };
        json!({"type": t, "data": data})
    }

    #[test]
    fn every_documented_event_type_decodes_into_its_variant() {
        assert_eq!(Event::TYPES, DOCUMENTED);
        for t in DOCUMENTED {
            let event =
                Event::from_slice(&bytes(&payload(t))).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert!(!matches!(event, Event::Unknown(_)), "{t}");
            assert_eq!(event.event_type(), t);
        }
    }

    #[test]
    fn minimal_payloads_keep_unknown_fields() {
        let Event::ChatMessageDm(e) =
            Event::from_slice(&bytes(&payload("chat:message:dm"))).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            e.data.additional_properties.get("somethingNew"),
            Some(&json!(true))
        );
    }

    #[test]
    fn unknown_event_type_is_kept() {
        let body = json!({"type": "meeting.started", "data": {"id": "m"}});
        let Event::Unknown(u) = Event::from_slice(&bytes(&body)).unwrap() else {
            panic!()
        };
        assert_eq!(u.event_type.as_deref(), Some("meeting.started"));
        assert_eq!(u.payload, body);
    }

    #[test]
    fn unknown_enum_value_decodes_into_the_fallback() {
        let name: roam_webhooks::EventName =
            serde_json::from_value(json!("chat.reaction")).unwrap();
        assert_eq!(
            name,
            roam_webhooks::EventName::Unknown("chat.reaction".into())
        );
        assert_eq!(name.as_str(), "chat.reaction");
    }

    #[test]
    fn schema_violation_is_an_error_that_keeps_the_body() {
        let raw = bytes(
            &json!({"type": "lobby:booked", "data": {"id": "b1", "start": "tomorrow", "end": "2025-03-01T10:30:00Z", "status": "x"}}),
        );
        let err = Event::from_slice(&raw).unwrap_err();
        assert_eq!(err.path, "data.start");
        assert_eq!(err.raw_body(), raw.as_slice());
    }
}

mod roostsync {
    use super::*;
    use roostsync_webhooks::{BookingStatus, Event};

    fn payload(t: &str) -> Value {
        let data = if t.starts_with("booking") {
            json!({"booking_id": "bk_1", "status": "confirmed"})
        } else {
            json!({})
        };
        json!({"event": t, "timestamp": "2024-03-15T10:30:00Z", "data": data, "property_id": "prop_abc123"})
    }

    #[test]
    fn every_documented_event_type_decodes_into_its_variant() {
        let documented = [
            "booking.created",
            "booking.updated",
            "booking.cancelled",
            "guest.checkin",
            "guest.checkout",
            "order.created",
            "order.completed",
            "inventory.low",
            "payment.received",
        ];
        assert_eq!(Event::TYPES, documented);
        for t in documented {
            let event =
                Event::from_slice(&bytes(&payload(t))).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert!(!matches!(event, Event::Unknown(_)), "{t}");
            assert_eq!(event.event_type(), t);
            assert!(event.timestamp().is_some());
        }
    }

    #[test]
    fn unknown_event_type_is_kept() {
        let body = json!({"event": "room.cleaned", "data": {}});
        let Event::Unknown(u) = Event::from_slice(&bytes(&body)).unwrap() else {
            panic!()
        };
        assert_eq!(u.event_type.as_deref(), Some("room.cleaned"));
    }

    #[test]
    fn unknown_enum_value_decodes_into_the_fallback() {
        let mut body = payload("booking.created");
        body["data"]["status"] = json!("tentative");
        let Event::BookingCreated(e) = Event::from_slice(&bytes(&body)).unwrap() else {
            panic!()
        };
        assert_eq!(
            e.data.status,
            Some(BookingStatus::Unknown("tentative".into()))
        );
    }

    #[test]
    fn schema_violation_is_an_error_that_keeps_the_body() {
        let mut body = payload("booking.created");
        body["data"]["nights"] = json!("two");
        let raw = bytes(&body);
        let err = Event::from_slice(&raw).unwrap_err();
        assert_eq!(err.path, "data.nights");
        assert_eq!(err.raw_body(), raw.as_slice());
    }
}

mod roomle {
    use super::*;
    use roomle_webhooks::Event;

    fn payload(t: &str) -> Value {
        json!({"event": t, "data": {"success": true, "email": "a@b.c", "configuratorId": "c", "url": "https://x"}})
    }

    #[test]
    fn every_documented_event_type_decodes_into_its_variant() {
        let documented = [
            "email.savedConfiguration",
            "email.shareConfiguration",
            "email.shareConfigurationAR",
            "email.3DExportAsset",
        ];
        assert_eq!(Event::TYPES, documented);
        for t in documented {
            let event =
                Event::from_slice(&bytes(&payload(t))).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert!(!matches!(event, Event::Unknown(_)), "{t}");
            assert_eq!(event.event_type(), t);
        }
    }

    #[test]
    fn unknown_event_type_is_kept() {
        let Event::Unknown(u) = Event::from_slice(&bytes(&payload("email.newThing"))).unwrap()
        else {
            panic!()
        };
        assert_eq!(u.event_type.as_deref(), Some("email.newThing"));
    }

    #[test]
    fn unknown_enum_value_decodes_into_the_fallback() {
        // Roomle's events carry no enum; the event type itself is the open set, checked above.
        let body = bytes(
            &json!({"event": "email.savedConfiguration", "data": {"success": true, "email": "a@b.c", "configuratorId": "c", "url": "u", "unexpected": 1}}),
        );
        assert!(matches!(
            Event::from_slice(&body).unwrap(),
            Event::EmailSavedConfiguration(_)
        ));
    }

    #[test]
    fn schema_violation_is_an_error_that_keeps_the_body() {
        let raw = bytes(&json!({"event": "email.savedConfiguration", "data": {"success": "yes"}}));
        let err = Event::from_slice(&raw).unwrap_err();
        assert_eq!(err.path, "data.success");
        assert_eq!(err.raw_body(), raw.as_slice());
    }
}
