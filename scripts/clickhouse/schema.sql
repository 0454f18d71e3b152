-- sipsleuth events in ClickHouse: one table for every event type.
--
-- Works from ClickHouse 18.16 (Debian 12's package) on. Events nest their
-- details ({"event_type":"dialog", ..., "dialog":{"state":...}}); the columns
-- below are named with dots ("dialog.state") and the insert reads the nested
-- objects into them with input_format_import_nested_json=1, so the NDJSON goes
-- in as sipsleuth wrote it (no jq, no output option). Details not listed
-- here (arrays of objects such as redirect.contacts, registration.contacts,
-- rejection.evidence, the per-stage stats objects) are skipped by
-- input_format_skip_unknown_fields=1;
-- keep the NDJSON files when you need every field. See load and README.md.
--
-- Any member that can be null or absent on some event type is Nullable (or an
-- Array, empty when absent): 18.16 rejects null for a plain column.
-- 18.16 takes dotted Array columns with one prefix for a Nested structure and
-- rejects rows whose arrays differ in length, so each detail object has at
-- most one Array column: identity.reasons is kept, identity.dest_tn is not
-- (the called number is in dialog.to and sip.to).

CREATE DATABASE IF NOT EXISTS sipsleuth;

CREATE TABLE IF NOT EXISTS sipsleuth.events
(
    -- RFC 3339 with microseconds: kept as written (sorts as time does);
    -- `time` is the same moment to the second, for partitions and ranges.
    timestamp String,
    time DateTime MATERIALIZED parseDateTimeBestEffort(timestamp),
    event_type String,
    -- Not in the events: a shipper adds it to tell sensors apart (README.md).
    sensor String,
    call_id Nullable(String),
    src_ip Nullable(String),
    src_port Nullable(UInt16),
    dest_ip Nullable(String),
    dest_port Nullable(UInt16),
    proto Nullable(String),
    community_id Nullable(String),
    vlan Array(UInt16),
    mpls Array(UInt32),

    `sip.method` Nullable(String),
    `sip.status_code` Nullable(UInt16),
    `sip.reason_phrase` Nullable(String),
    `sip.request_uri` Nullable(String),
    `sip.from` Nullable(String),
    `sip.to` Nullable(String),
    `sip.from_tag` Nullable(String),
    `sip.to_tag` Nullable(String),
    `sip.ruri_user` Nullable(String),
    `sip.from_user` Nullable(String),
    `sip.from_display` Nullable(String),
    `sip.to_user` Nullable(String),
    `sip.to_display` Nullable(String),
    `sip.asserted_identity` Nullable(String),
    `sip.preferred_identity` Nullable(String),
    `sip.remote_party_id` Nullable(String),
    `sip.diversion.first` Nullable(String),
    `sip.diversion.last` Nullable(String),
    `sip.history_info.first` Nullable(String),
    `sip.history_info.last` Nullable(String),
    `sip.cseq` Nullable(String),
    `sip.contacts` Array(String),
    `sip.user_agent` Nullable(String),
    `sip.server` Nullable(String),
    `sip.retransmission` Nullable(UInt8),
    `sip.truncated` Nullable(UInt8),

    `dialog.state` Nullable(String),
    `dialog.status_code` Nullable(UInt16),
    `dialog.from` Nullable(String),
    `dialog.to` Nullable(String),
    `dialog.request_uri` Nullable(String),
    `dialog.from_user` Nullable(String),
    `dialog.to_user` Nullable(String),
    `dialog.ruri_user` Nullable(String),
    `dialog.from_display` Nullable(String),
    `dialog.to_display` Nullable(String),
    `dialog.asserted_identity` Nullable(String),
    `dialog.preferred_identity` Nullable(String),
    `dialog.remote_party_id` Nullable(String),
    `dialog.diversion.first` Nullable(String),
    `dialog.diversion.last` Nullable(String),
    `dialog.history_info.first` Nullable(String),
    `dialog.history_info.last` Nullable(String),
    `dialog.start` Nullable(String),
    `dialog.setup_ms` Nullable(Float64),
    `dialog.final_ms` Nullable(Float64),
    `dialog.pdd_ms` Nullable(Float64),
    `dialog.duration_ms` Nullable(Float64),
    `dialog.ended_by` Nullable(String),
    `dialog.messages` Nullable(UInt32),
    `dialog.retransmissions` Nullable(UInt32),
    `dialog.early_dialogs` Nullable(UInt32),
    `dialog.to_tag` Nullable(String),
    `dialog.reinvites` Nullable(UInt32),
    `dialog.holds` Nullable(UInt32),
    `dialog.auth_challenges` Nullable(UInt32),
    `dialog.challenge_codes` Array(UInt16),
    `dialog.ringing` Nullable(UInt8),
    `dialog.early_media` Nullable(UInt8),
    `dialog.leg` Nullable(UInt32),
    `dialog.attempt` Nullable(UInt32),
    `dialog.closed` Nullable(String),
    `dialog.end_reason.protocol` Nullable(String),
    `dialog.end_reason.cause` Nullable(UInt16),
    `dialog.end_reason.cause_name` Nullable(String),

    `redirect.status_code` Nullable(UInt16),
    `redirect.reason_phrase` Nullable(String),
    `redirect.permanent` Nullable(UInt8),
    `redirect.request_uri` Nullable(String),
    `redirect.server_ip` Nullable(String),

    `route.action` Nullable(String),
    `route.uri` Nullable(String),
    `route.target` Nullable(String),
    `route.previous` Nullable(String),
    `route.resolved` Nullable(String),
    `route.hops` Nullable(UInt32),
    `route.loop` Nullable(UInt8),
    `route.method` Nullable(String),
    `route.q` Nullable(Float64),
    `route.expires` Nullable(Int64),
    `route.times_seen` Nullable(UInt64),
    `route.server_ip` Nullable(String),

    `identity.verdict` Nullable(String),
    `identity.reasons` Array(String),
    `identity.form` Nullable(String),
    `identity.alg` Nullable(String),
    `identity.ppt` Nullable(String),
    `identity.attest` Nullable(String),
    `identity.orig_tn` Nullable(String),
    `identity.iat` Nullable(Int64),
    `identity.x5u` Nullable(String),

    `rejection.status_code` Nullable(UInt16),
    `rejection.cause` Nullable(String),
    `rejection.explanation` Nullable(String),
    `rejection.reason_header` Nullable(String),
    `rejection.modified_by` Nullable(String),

    `registration.outcome` Nullable(String),
    `registration.aor` Nullable(String),
    `registration.aor_user` Nullable(String),
    `registration.request_uri` Nullable(String),
    `registration.expires_requested` Nullable(Int64),
    `registration.expires_granted` Nullable(Int64),
    `registration.unregister` Nullable(UInt8),
    `registration.auth_challenges` Nullable(UInt32),
    `registration.challenge_answered` Nullable(UInt8),
    `registration.requests` Nullable(UInt32),
    `registration.status_code` Nullable(UInt16),
    `registration.reason_phrase` Nullable(String),
    `registration.user_agent` Nullable(String),
    `registration.start` Nullable(String),
    `registration.final_ms` Nullable(Float64),
    `registration.closed` Nullable(String),

    `anomaly.kind` Nullable(String),
    `anomaly.layer` Nullable(String),
    `anomaly.offset` Nullable(UInt64),
    `anomaly.detail` Nullable(String),
    `anomaly.source_ip` Nullable(String),
    `anomaly.count` Nullable(UInt64),
    `anomaly.window_ms` Nullable(Float64),
    `anomaly.first_seen` Nullable(String),
    `anomaly.last_seen` Nullable(String),
    `anomaly.user_agent` Nullable(String),

    `stats.packets` Nullable(UInt64),
    `stats.bytes` Nullable(UInt64),
    `stats.sip_messages` Nullable(UInt64),
    `stats.parse_errors` Nullable(UInt64),
    `stats.anomalies` Nullable(UInt64),
    `stats.pcap_received` Nullable(UInt64),
    `stats.kernel_dropped` Nullable(UInt64),
    `stats.interface_dropped` Nullable(UInt64),
    `stats.final` Nullable(UInt8)
)
ENGINE = MergeTree()
PARTITION BY toYYYYMMDD(time)
ORDER BY (event_type, time);
