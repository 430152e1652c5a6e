//! The store's guarantees, over the in-memory KV with the hosted limits.

use std::cell::Cell;
use std::collections::BTreeMap;

use sawt_store::*;

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2654435761)
                .rotate_left(seed as u32 % 31) as u8
                ^ seed
        })
        .collect()
}

fn files_v1() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("encoder.onnx", bytes(2_500_000, 1)),
        ("decoder.onnx", bytes(CHUNK_SIZE, 2)),
        ("tokenizer.tiktoken", bytes(1234, 3)),
        ("empty.txt", Vec::new()),
    ]
}

fn as_refs<'a>(files: &'a [(&'static str, Vec<u8>)]) -> Vec<(&'static str, &'a [u8])> {
    files.iter().map(|(n, d)| (*n, d.as_slice())).collect()
}

fn publish_files(kv: &dyn Kv, model: &str, files: &[(&'static str, Vec<u8>)]) -> Result<Committed> {
    publish(
        kv,
        model,
        &as_refs(files),
        BTreeMap::new(),
        &StoreConfig::default(),
    )
}

fn keys_of(kv: &MemKv, prefix: &str) -> Vec<String> {
    kv.list_keys()
        .unwrap()
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .collect()
}

#[test]
fn publish_then_load_round_trips_every_byte() {
    let kv = MemKv::new();
    let files = files_v1();
    let mut meta = BTreeMap::new();
    meta.insert("config".to_string(), serde_json::json!({"n_mels": 80}));
    let c = publish(
        &kv,
        "whisper-tiny",
        &as_refs(&files),
        meta,
        &StoreConfig::default(),
    )
    .unwrap();
    assert_eq!(c.cleanup_error, None);
    let m = &c.manifest;
    assert_eq!(m.version.len(), 12);
    assert_eq!(
        m.files.iter().map(|f| f.chunks).collect::<Vec<_>>(),
        [3, 1, 1, 0]
    );
    assert_eq!(m.files[0].sha256, sha256_hex(&files[0].1));
    assert_eq!(
        m.files[0].chunk_sha256[2],
        sha256_hex(&files[0].1[2_000_000..])
    );
    assert_eq!(m.metadata["config"]["n_mels"], 80);

    let loaded = load_model(&kv, "whisper-tiny").unwrap();
    assert_eq!(&loaded.manifest, m);
    assert_eq!(loaded.files.len(), 4);
    for (name, data) in &files {
        assert_eq!(&loaded.files[*name], data, "{name}");
    }
    // 5 chunks + manifest + pointer, and no staging leftovers.
    assert_eq!(kv.len(), 7);
    assert_eq!(m.key_count() + 1, 7);
    assert!(kv
        .list_keys()
        .unwrap()
        .iter()
        .all(|k| k.len() <= HOST_MAX_KEY));
}

#[test]
fn a_single_file_loads_lazily() {
    let kv = MemKv::new();
    let files = files_v1();
    publish_files(&kv, "m", &files).unwrap();
    let (_, gets_before, _) = kv.op_counts();
    let r = ModelReader::open(&kv, "m").unwrap();
    assert_eq!(r.read_file("tokenizer.tiktoken").unwrap(), files[2].1);
    // pointer + manifest + one chunk
    assert_eq!(kv.op_counts().1 - gets_before, 3);
    assert!(matches!(
        r.read_file("nope.bin"),
        Err(StoreError::FileNotFound { .. })
    ));
}

#[test]
fn never_uploaded_is_not_found() {
    let kv = MemKv::new();
    assert_eq!(
        load_model(&kv, "whisper-tiny").unwrap_err(),
        StoreError::NotFound {
            model: "whisper-tiny".into()
        }
    );
    assert!(matches!(
        load_model(&kv, "../etc"),
        Err(StoreError::Invalid { .. })
    ));
}

#[test]
fn republishing_identical_content_writes_nothing() {
    let kv = MemKv::new();
    let files = files_v1();
    let v1 = publish_files(&kv, "m", &files).unwrap().manifest;
    let (sets, _, dels) = kv.op_counts();
    let again = publish_files(&kv, "m", &files).unwrap();
    assert_eq!(again.manifest, v1);
    assert_eq!((kv.op_counts().0, kv.op_counts().2), (sets, dels));
}

#[test]
fn an_interrupted_upload_is_never_served() {
    let v1 = files_v1();
    let mut v2 = files_v1();
    v2[0].1[123] ^= 1;
    // Count the writes a full v2 publish makes, then cut it after every possible one.
    let probe = MemKv::new();
    publish_files(&probe, "m", &v1).unwrap();
    let before = probe.op_counts().0;
    publish_files(&probe, "m", &v2).unwrap();
    let writes = probe.op_counts().0 - before;
    assert!(writes >= 8, "{writes}");

    for cut in 0..writes {
        let kv = MemKv::new();
        let old = publish_files(&kv, "m", &v1).unwrap().manifest;
        kv.fail_sets_after(cut);
        assert!(publish_files(&kv, "m", &v2).is_err(), "cut {cut}");
        let loaded = load_model(&kv, "m").unwrap();
        assert_eq!(loaded.manifest, old, "cut {cut}");
        assert_eq!(loaded.files["encoder.onnx"], v1[0].1);
        // Retrying completes it and removes v1.
        kv.clear_faults();
        let new = publish_files(&kv, "m", &v2).unwrap().manifest;
        let loaded = load_model(&kv, "m").unwrap();
        assert_eq!(loaded.manifest, new);
        assert_eq!(loaded.files["encoder.onnx"], v2[0].1);
        assert!(keys_of(&kv, &format!("m/m/{}/", old.version)).is_empty());
        assert_eq!(kv.len(), 7, "cut {cut}: {:?}", kv.list_keys());
    }
}

#[test]
fn an_interrupted_first_upload_leaves_the_model_absent() {
    let kv = MemKv::new();
    kv.fail_sets_after(3);
    assert!(publish_files(&kv, "m", &files_v1()).is_err());
    assert!(matches!(
        load_model(&kv, "m"),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_flipped_byte_is_detected_anywhere() {
    let kv = MemKv::new();
    let m = publish_files(&kv, "m", &files_v1()).unwrap().manifest;
    let v = &m.version;

    for key in [
        format!("m/m/{v}/0/0"),
        format!("m/m/{v}/0/2"),
        format!("m/m/{v}/2/0"),
    ] {
        assert!(kv.flip_byte(&key, 7));
        match load_model(&kv, "m") {
            Err(StoreError::Corrupt { key: k, reason }) => {
                assert_eq!(k, key);
                // Loads check a current manifest's chunks with BLAKE3.
                assert!(reason.contains("chunk blake3"), "{reason}");
            }
            other => panic!("{key}: {other:?}"),
        }
        assert!(kv.flip_byte(&key, 7));
    }
    let mkey = format!("m/m/{v}/manifest");
    assert!(kv.flip_byte(&mkey, 40));
    assert!(matches!(load_model(&kv, "m"), Err(StoreError::Corrupt { key, .. }) if key == mkey));
    assert!(kv.flip_byte(&mkey, 40));

    // A truncated chunk, and a missing one.
    let ckey = format!("m/m/{v}/1/0");
    kv.put_raw(&ckey, vec![0; 10]);
    assert!(matches!(load_model(&kv, "m"), Err(StoreError::Corrupt { key, .. }) if key == ckey));
    kv.delete(&ckey).unwrap();
    assert_eq!(
        load_model(&kv, "m").unwrap_err(),
        StoreError::Missing { key: ckey }
    );

    kv.put_raw("m/m/current", b"{not json".to_vec());
    assert!(matches!(
        load_model(&kv, "m"),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn two_versions_coexist_until_the_pointer_moves() {
    let kv = MemKv::new();
    let cfg = StoreConfig::default();
    let v1 = files_v1();
    let old = publish_files(&kv, "m", &v1).unwrap().manifest;
    let v2: Vec<(&str, Vec<u8>)> = vec![("encoder.onnx", bytes(1_500_000, 9))];
    let spec = UploadSpec::from_files(&as_refs(&v2));
    let Begin::Staging(st) = begin_upload(&kv, "m", &spec, &cfg).unwrap() else {
        panic!("expected staging")
    };
    assert_ne!(st.id, old.version);
    assert_eq!(st.part_size, 4_000_000);
    put_part(&kv, "m", &st.id, "encoder.onnx", 0, &v2[0].1, &cfg).unwrap();
    // Fully staged, not committed: still v1, both versions' keys present.
    assert_eq!(load_model(&kv, "m").unwrap().manifest, old);
    assert_eq!(keys_of(&kv, &format!("m/m/{}/", old.version)).len(), 6);
    assert_eq!(keys_of(&kv, &format!("m/m/{}/", st.id)).len(), 4); // 2 chunks, state, decl

    let c = commit_upload(&kv, "m", &st.id).unwrap();
    assert_eq!(c.keys_deleted, 2 + 6);
    let loaded = load_model(&kv, "m").unwrap();
    assert_eq!(loaded.manifest.version, st.id);
    assert_eq!(loaded.files["encoder.onnx"], v2[0].1);
    assert_eq!(kv.len(), 2 + 1 + 1);
    // A retried commit answers with the live manifest.
    assert_eq!(
        commit_upload(&kv, "m", &st.id).unwrap().manifest,
        loaded.manifest
    );
}

#[test]
fn uploads_resume_and_check_parts() {
    let kv = MemKv::new();
    let cfg = StoreConfig {
        max_part_size: 2_500_000,
        ..StoreConfig::default()
    };
    let data = bytes(5_300_000, 4);
    let spec = UploadSpec::from_files(&[("w.bin", &data)]);
    let Begin::Staging(st) = begin_upload(&kv, "m", &spec, &cfg).unwrap() else {
        panic!()
    };
    assert_eq!(st.part_size, 2_000_000);
    let id = st.id.clone();

    let too_big = put_part(&kv, "m", &id, "w.bin", 0, &data[..2_500_001], &cfg).unwrap_err();
    assert_eq!(
        too_big,
        StoreError::PartTooLarge {
            size: 2_500_001,
            max: 2_500_000
        }
    );
    assert!(matches!(
        put_part(&kv, "m", &id, "w.bin", 0, &data[..1_500_000], &cfg),
        Err(StoreError::BadPart { .. })
    ));
    assert!(matches!(
        put_part(&kv, "m", &id, "w.bin", 500, &data[500..1_000_500], &cfg),
        Err(StoreError::BadPart { .. })
    ));
    assert!(matches!(
        put_part(&kv, "m", &id, "other.bin", 0, &data[..10], &cfg),
        Err(StoreError::UnknownFile { .. })
    ));
    let s = put_part(&kv, "m", &id, "w.bin", 0, &data[..2_000_000], &cfg).unwrap();
    assert_eq!((s.received, s.complete), (2_000_000, false));
    assert_eq!(
        put_part(&kv, "m", &id, "w.bin", 4_000_000, &data[4_000_000..], &cfg).unwrap_err(),
        StoreError::OffsetMismatch {
            file: "w.bin".into(),
            expected: 2_000_000,
            got: 4_000_000
        }
    );
    assert!(matches!(
        commit_upload(&kv, "m", &id),
        Err(StoreError::Incomplete {
            received: 2_000_000,
            ..
        })
    ));

    // Begin again (a new client process): same id, progress kept.
    let Begin::Staging(again) = begin_upload(&kv, "m", &spec, &cfg).unwrap() else {
        panic!()
    };
    assert_eq!(again.id, id);
    assert_eq!(again.files[0].received, 2_000_000);
    // A retried part overlapping what we have is accepted.
    let s = put_part(
        &kv,
        "m",
        &id,
        "w.bin",
        1_000_000,
        &data[1_000_000..3_000_000],
        &cfg,
    )
    .unwrap();
    assert_eq!(s.received, 3_000_000);
    put_part(
        &kv,
        "m",
        &id,
        "w.bin",
        3_000_000,
        &data[3_000_000..5_000_000],
        &cfg,
    )
    .unwrap();
    let s = put_part(&kv, "m", &id, "w.bin", 5_000_000, &data[5_000_000..], &cfg).unwrap();
    assert!(s.complete);
    let m = commit_upload(&kv, "m", &id).unwrap().manifest;
    // Digests of chunks sent in earlier requests survive in the staged state.
    let want: Vec<String> = data.chunks(CHUNK_SIZE).map(blake3_hex).collect();
    assert_eq!(m.files[0].chunk_blake3, want);
    assert_eq!(load_model(&kv, "m").unwrap().files["w.bin"], data);
}

#[test]
fn a_staged_file_from_before_chunk_blake3_restarts() {
    let kv = MemKv::new();
    let cfg = StoreConfig::default();
    let data = bytes(2_500_000, 12);
    let spec = UploadSpec::from_files(&[("w.bin", &data)]);
    let Begin::Staging(st) = begin_upload(&kv, "m", &spec, &cfg).unwrap() else {
        panic!()
    };
    put_part(&kv, "m", &st.id, "w.bin", 0, &data[..2_000_000], &cfg).unwrap();
    // As an older build saved it: no BLAKE3 digests for the chunks it stored.
    let state_key = format!("m/m/{}/0/state", st.id);
    let mut state: serde_json::Value =
        serde_json::from_slice(&kv.get(&state_key).unwrap().unwrap()).unwrap();
    assert_eq!(state["chunk_blake3"].as_array().unwrap().len(), 2);
    state.as_object_mut().unwrap().remove("chunk_blake3");
    kv.put_raw(&state_key, serde_json::to_vec(&state).unwrap());
    assert_eq!(
        upload_status(&kv, "m", &st.id, &cfg).unwrap().files[0].received,
        0
    );
    put_part(&kv, "m", &st.id, "w.bin", 0, &data, &cfg).unwrap();
    let m = commit_upload(&kv, "m", &st.id).unwrap().manifest;
    assert_eq!(m.files[0].chunk_blake3.len(), 3);
    assert_eq!(chunks_only(&kv, "m").unwrap().files["w.bin"], data);
}

#[test]
fn a_wrong_declared_digest_discards_the_file() {
    let kv = MemKv::new();
    let cfg = StoreConfig::default();
    let data = bytes(1_200_000, 5);
    let mut spec = UploadSpec::from_files(&[("w.bin", &data)]);
    spec.files[0].sha256 = sha256_hex(b"something else");
    let Begin::Staging(st) = begin_upload(&kv, "m", &spec, &cfg).unwrap() else {
        panic!()
    };
    match put_part(&kv, "m", &st.id, "w.bin", 0, &data, &cfg) {
        Err(StoreError::DigestMismatch { actual, .. }) => assert_eq!(actual, sha256_hex(&data)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        upload_status(&kv, "m", &st.id, &cfg).unwrap().files[0].received,
        0
    );
    assert!(matches!(
        commit_upload(&kv, "m", &st.id),
        Err(StoreError::Incomplete { .. })
    ));
    assert!(matches!(
        load_model(&kv, "m"),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn abandoned_uploads_are_cleaned_by_the_next_one_or_by_abort() {
    let kv = MemKv::new();
    let cfg = StoreConfig::default();
    let a = bytes(2_000_000, 6);
    let spec_a = UploadSpec::from_files(&[("a.bin", &a)]);
    let Begin::Staging(st) = begin_upload(&kv, "m", &spec_a, &cfg).unwrap() else {
        panic!()
    };
    put_part(&kv, "m", &st.id, "a.bin", 0, &a[..1_000_000], &cfg).unwrap();
    assert_eq!(kv.len(), 3);

    // Another model's upload does not touch it; a new upload of this model does.
    publish(&kv, "other", &[("x", b"x")], BTreeMap::new(), &cfg).unwrap();
    assert_eq!(keys_of(&kv, "m/m/").len(), 3);
    let b = bytes(10, 7);
    publish(&kv, "m", &[("b.bin", &b)], BTreeMap::new(), &cfg).unwrap();
    assert!(keys_of(&kv, &format!("m/m/{}/", st.id)).is_empty());
    assert!(matches!(
        put_part(&kv, "m", &st.id, "a.bin", 1_000_000, &a[1_000_000..], &cfg),
        Err(StoreError::UploadNotFound { .. })
    ));

    let Begin::Staging(st) = begin_upload(&kv, "m", &spec_a, &cfg).unwrap() else {
        panic!()
    };
    put_part(&kv, "m", &st.id, "a.bin", 0, &a[..1_000_000], &cfg).unwrap();
    assert_eq!(abort_upload(&kv, "m", &st.id).unwrap(), 3);
    assert!(keys_of(&kv, &format!("m/m/{}/", st.id)).is_empty());
    assert_eq!(load_model(&kv, "m").unwrap().files["b.bin"], b);
}

#[test]
fn the_key_budget_counts_all_models_and_says_what_it_needs() {
    let kv = MemKv::new();
    let cfg = StoreConfig {
        key_budget: 12,
        ..StoreConfig::default()
    };
    // 3 chunks + state + decl + manifest + pointer = 7 at peak, 5 after commit.
    let a = bytes(3_000_000, 1);
    publish(&kv, "a", &[("a.bin", &a)], BTreeMap::new(), &cfg).unwrap();
    assert_eq!(kv.len(), 5);
    let b = bytes(4_500_000, 2);
    // 5 chunks + 1 + 1 + 1 + 1 = 9 needed, 7 free.
    let err = publish(&kv, "b", &[("b.bin", &b)], BTreeMap::new(), &cfg).unwrap_err();
    assert_eq!(
        err,
        StoreError::KeyBudgetExceeded {
            needed: 9,
            available: 7,
            budget: 12,
            used: 5,
            superseded: 0
        }
    );
    assert!(
        err.to_string().contains("needs 9 more keys but only 7"),
        "{err}"
    );
    assert_eq!(kv.len(), 5, "a refused upload writes nothing");
    // Replacing `a` needs room for both versions at once, and says so.
    let a2 = bytes(6_000_000, 3);
    match publish(&kv, "a", &[("a.bin", &a2)], BTreeMap::new(), &cfg).unwrap_err() {
        StoreError::KeyBudgetExceeded {
            needed: 9,
            superseded: 5,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    // What fits, fits.
    let small = bytes(3_000_000, 4);
    publish(&kv, "b", &[("b.bin", &small)], BTreeMap::new(), &cfg).unwrap();
    assert_eq!(kv.len(), 10);
    let usage = list_models(&kv, &cfg).unwrap();
    assert_eq!(usage.keys_total, 10);
    assert_eq!(
        usage.models.iter().map(|m| m.keys).collect::<Vec<_>>(),
        [5, 5]
    );
}

#[test]
fn interrupted_garbage_collection_keeps_the_current_version() {
    let kv = MemKv::new();
    let old = publish_files(&kv, "m", &files_v1()).unwrap().manifest;
    let v2 = vec![("only.bin", bytes(2_000_000, 8))];
    // Leave v1 half-collected: re-plant v1 chunks after v2 is live.
    let planted = format!("m/m/{}/0/1", old.version);
    let new = publish_files(&kv, "m", &v2).unwrap().manifest;
    kv.put_raw(&planted, vec![1, 2, 3]);
    assert_eq!(load_model(&kv, "m").unwrap().manifest, new);
    assert_eq!(collect_garbage(&kv, "m").unwrap(), 1);
    assert_eq!(kv.len(), 2 + 1 + 1);
    // Deleting the model removes the pointer and everything else.
    assert_eq!(delete_model(&kv, "m").unwrap(), 4);
    assert!(kv.is_empty());
    assert!(matches!(
        delete_model(&kv, "m"),
        Err(StoreError::NotFound { .. })
    ));
}

/// A store that commits a new version the first time a reader fetches an old chunk.
struct Racing<'a> {
    inner: &'a MemKv,
    trigger: String,
    fired: Cell<bool>,
    next: Vec<(&'static str, Vec<u8>)>,
}

impl Kv for Racing<'_> {
    fn get(&self, key: &str) -> std::result::Result<Option<Vec<u8>>, KvError> {
        if key == self.trigger && !self.fired.replace(true) {
            publish_files(self.inner, "m", &self.next)
                .map_err(|e| KvError::Other(e.to_string()))?;
        }
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> std::result::Result<(), KvError> {
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> std::result::Result<(), KvError> {
        self.inner.delete(key)
    }
    fn list_keys(&self) -> std::result::Result<Vec<String>, KvError> {
        self.inner.list_keys()
    }
}

#[test]
fn a_reader_racing_a_commit_retries_on_the_new_version() {
    let kv = MemKv::new();
    let old = publish_files(&kv, "m", &files_v1()).unwrap().manifest;
    let next = vec![("new.bin", bytes(1_500_000, 11))];
    let racing = Racing {
        inner: &kv,
        trigger: format!("m/m/{}/0/0", old.version),
        fired: Cell::new(false),
        next: next.clone(),
    };
    let loaded = load_model(&racing, "m").unwrap();
    assert_ne!(loaded.manifest.version, old.version);
    assert_eq!(loaded.files["new.bin"], next[0].1);
}

#[test]
fn bad_declarations_are_refused() {
    let kv = MemKv::new();
    let cfg = StoreConfig::default();
    let ok = FileSpec {
        name: "a".into(),
        size: 1,
        sha256: sha256_hex(b"a"),
    };
    let cases = [
        ("Bad Name", vec![ok.clone()]),
        ("m", vec![]),
        ("m", vec![ok.clone(), ok.clone()]),
        (
            "m",
            vec![FileSpec {
                name: "../x".into(),
                ..ok.clone()
            }],
        ),
        (
            "m",
            vec![FileSpec {
                sha256: "XYZ".into(),
                ..ok.clone()
            }],
        ),
    ];
    for (model, files) in cases {
        let spec = UploadSpec {
            files,
            metadata: BTreeMap::new(),
        };
        assert!(
            matches!(
                begin_upload(&kv, model, &spec, &cfg),
                Err(StoreError::Invalid { .. })
            ),
            "{model} {spec:?}"
        );
    }
    assert!(kv.is_empty());
    assert!(matches!(
        put_part(&kv, "m", "zzzz", "a", 0, b"a", &cfg),
        Err(StoreError::UploadNotFound { .. })
    ));
}

/// Rewrites the live manifest of `model` through `edit` (on its JSON) and re-points the
/// pointer at it, as a publisher would have written it.
fn rewrite_manifest(kv: &MemKv, model: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let p = ModelReader::open(kv, model).unwrap().into_manifest();
    let mkey = format!("m/{model}/{}/manifest", p.version);
    let mut json: serde_json::Value =
        serde_json::from_slice(&kv.get(&mkey).unwrap().unwrap()).unwrap();
    edit(&mut json);
    let bytes = serde_json::to_vec(&json).unwrap();
    let pointer = Pointer {
        version: p.version,
        manifest_sha256: sha256_hex(&bytes),
    };
    kv.put_raw(&mkey, bytes);
    kv.put_raw(
        &format!("m/{model}/current"),
        serde_json::to_vec(&pointer).unwrap(),
    );
}

fn chunks_only(kv: &dyn Kv, model: &str) -> Result<LoadedModel> {
    load_model_with(kv, model, ReadOptions::CHUNKS_ONLY)
}

#[test]
fn a_published_model_carries_chunk_blake3_and_reads_back() {
    let kv = MemKv::new();
    let files = files_v1();
    let m = publish_files(&kv, "m", &files).unwrap().manifest;
    for (f, (_, data)) in m.files.iter().zip(&files) {
        assert_eq!(f.chunk_blake3.len(), f.chunks as usize, "{}", f.name);
        for (i, d) in f.chunk_blake3.iter().enumerate() {
            let start = i * CHUNK_SIZE;
            let end = (start + CHUNK_SIZE).min(data.len());
            assert_eq!(d, &blake3_hex(&data[start..end]), "{} chunk {i}", f.name);
        }
    }
    // Stored in the manifest itself, not only in the value commit returned.
    let raw = kv
        .get(&format!("m/m/{}/manifest", m.version))
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&raw).contains("\"chunk_blake3\""));
    for loaded in [
        load_model(&kv, "m").unwrap(),
        chunks_only(&kv, "m").unwrap(),
    ] {
        assert_eq!(loaded.manifest, m);
        for (name, data) in &files {
            assert_eq!(&loaded.files[*name], data, "{name}");
        }
    }
    let r = ModelReader::open(&kv, "m").unwrap();
    for f in &m.files {
        r.verify_file(&f.name).unwrap();
    }
}

#[test]
fn a_flipped_byte_is_caught_by_blake3() {
    let kv = MemKv::new();
    let m = publish_files(&kv, "m", &files_v1()).unwrap().manifest;
    let key = format!("m/m/{}/0/1", m.version);
    assert!(kv.flip_byte(&key, 999_999));
    for result in [load_model(&kv, "m"), chunks_only(&kv, "m")] {
        match result {
            Err(StoreError::Corrupt { key: k, reason }) => {
                assert_eq!(k, key);
                assert!(reason.starts_with("chunk blake3 is "), "{reason}");
                assert!(reason.contains(&m.files[0].chunk_blake3[1]), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
    // The admin's full check still answers with the digest of record.
    match ModelReader::open(&kv, "m")
        .unwrap()
        .verify_file("encoder.onnx")
    {
        Err(StoreError::Corrupt { key: k, reason }) => {
            assert_eq!(k, key);
            assert!(reason.starts_with("chunk sha256 is "), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_manifest_without_chunk_blake3_reads_and_checks_sha256() {
    let kv = MemKv::new();
    let files = files_v1();
    let m = publish_files(&kv, "m", &files).unwrap().manifest;
    // The format before chunk_blake3: the key is absent, not empty.
    rewrite_manifest(&kv, "m", |json| {
        for f in json["files"].as_array_mut().unwrap() {
            // The empty file has no digests, so no key to remove.
            f.as_object_mut().unwrap().remove("chunk_blake3");
        }
    });
    let raw = kv
        .get(&format!("m/m/{}/manifest", m.version))
        .unwrap()
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("blake3"));

    let loaded = chunks_only(&kv, "m").unwrap();
    assert!(loaded
        .manifest
        .files
        .iter()
        .all(|f| f.chunk_blake3.is_empty()));
    for (name, data) in &files {
        assert_eq!(&loaded.files[*name], data, "{name}");
    }
    ModelReader::open(&kv, "m")
        .unwrap()
        .verify_file("encoder.onnx")
        .unwrap();

    let key = format!("m/m/{}/0/2", m.version);
    assert!(kv.flip_byte(&key, 3));
    for result in [load_model(&kv, "m"), chunks_only(&kv, "m")] {
        match result {
            Err(StoreError::Corrupt { key: k, reason }) => {
                assert_eq!(k, key);
                assert!(reason.starts_with("chunk sha256 is "), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn chunk_blake3_must_cover_every_chunk_and_be_hex() {
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 3] = [
        ("3 chunks but 2 blake3 digests", |json| {
            json["files"][0]["chunk_blake3"]
                .as_array_mut()
                .unwrap()
                .pop();
        }),
        ("3 chunks but 4 blake3 digests", |json| {
            let extra = json["files"][0]["chunk_blake3"][0].clone();
            json["files"][0]["chunk_blake3"]
                .as_array_mut()
                .unwrap()
                .push(extra);
        }),
        ("malformed blake3", |json| {
            json["files"][0]["chunk_blake3"][1] = "XYZ".into();
        }),
    ];
    for (want, edit) in edits {
        let kv = MemKv::new();
        let m = publish_files(&kv, "m", &files_v1()).unwrap().manifest;
        rewrite_manifest(&kv, "m", edit);
        match ModelReader::open(&kv, "m") {
            Err(StoreError::Corrupt { key, reason }) => {
                assert_eq!(key, format!("m/m/{}/manifest", m.version));
                assert!(reason.contains(want), "{want}: {reason}");
            }
            Err(e) => panic!("{want}: {e:?}"),
            Ok(_) => panic!("{want}: opened"),
        }
    }
}

#[test]
fn verify_file_checks_blake3_too() {
    let kv = MemKv::new();
    let files = files_v1();
    publish_files(&kv, "m", &files).unwrap();
    // Right bytes, wrong recorded BLAKE3: every load would fail, and the full check says so.
    let wrong = blake3_hex(b"not this chunk");
    rewrite_manifest(&kv, "m", |json| {
        json["files"][1]["chunk_blake3"][0] = wrong.clone().into();
    });
    let r = ModelReader::open(&kv, "m").unwrap();
    r.verify_file("encoder.onnx").unwrap();
    match r.verify_file("decoder.onnx") {
        Err(StoreError::Corrupt { reason, .. }) => {
            assert!(
                reason.contains("blake3") && reason.contains(&wrong),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}
