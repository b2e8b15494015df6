use super::*;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fewdims-hidden-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn meta(kind: TaskKind) -> HiddenMeta {
    HiddenMeta {
        model: "tiny".into(),
        task: "movie".into(),
        split: "train".into(),
        readouts: vec!["cls".into(), "pooler".into()],
        num_layers: 2,
        hidden_size: 4,
        kind,
        metrics: if kind == TaskKind::Classification {
            vec!["accuracy".into()]
        } else {
            vec!["pearson".into()]
        },
        label_names: if kind == TaskKind::Classification {
            vec!["neg".into(), "pos".into()]
        } else {
            vec![]
        },
        source: "models/tiny".into(),
        extra: [("note".to_string(), "x".to_string())].into(),
    }
}

fn states(n: usize, tokens: bool) -> HiddenStates {
    let m = meta(TaskKind::Classification);
    let cls: Vec<f32> = (0..n * 3 * 4).map(|i| i as f32 * 0.5).collect();
    let pooler: Vec<f32> = (0..n * 4).map(|i| -(i as f32)).collect();
    let tokens = tokens.then(|| {
        let offsets: Vec<u64> = (0..=n as u64).map(|i| i * (i + 1) / 2).collect();
        let t = *offsets.last().unwrap() as usize;
        TokenStates {
            offsets,
            data: (0..t * 12).map(|i| i as f32).collect(),
        }
    });
    HiddenStates {
        meta: m,
        readouts: vec![("cls".into(), cls), ("pooler".into(), pooler)],
        n,
        layers: 3,
        hidden: 4,
        labels: Labels::Classes((0..n as i64).map(|i| i % 2).collect()),
        idx: (0..n as u32).map(|i| 100 + i).collect(),
        tokens,
    }
}

#[test]
fn round_trip_and_layer_reads() {
    let dir = tmpdir("rt");
    let path = dir.join("a/train.safetensors");
    let s = states(5, true);
    s.write(&path).unwrap();
    let back = HiddenStates::read(&path).unwrap();
    assert_eq!(back, s);
    let r = HiddenReader::open(&path).unwrap();
    assert_eq!((r.n(), r.layers(), r.hidden()), (5, 3, 4));
    for l in 0..3 {
        assert_eq!(r.layer("cls", l).unwrap(), s.layer("cls", l).unwrap());
    }
    assert_eq!(r.layer("pooler", 0).unwrap(), s.readouts[1].1);
    assert!(r.layer("pooler", 1).is_err());
    assert!(r.readout("mean").is_err());
    // The safetensors crate reads it too.
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("cls").unwrap().shape(), &[5, 3, 4]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn streaming_batches_match_one_shot() {
    let dir = tmpdir("stream");
    let s = states(7, true);
    let one = dir.join("one.safetensors");
    s.write(&one).unwrap();
    let two = dir.join("two.safetensors");
    let tok = s.tokens.as_ref().unwrap();
    let all_lens = token_lens(tok);
    let mut w = HiddenWriter::create(&two, s.meta.clone(), 7, Some(&all_lens)).unwrap();
    for (a, b) in [(0usize, 3usize), (3, 7)] {
        with_batch(&gather_batch(&s, &(a..b).collect::<Vec<_>>()), |b| {
            w.push(b)
        })
        .unwrap();
    }
    assert!(!two.exists(), "nothing at the destination before finish");
    w.finish().unwrap();
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Each item's token count.
fn token_lens(tok: &TokenStates) -> Vec<usize> {
    tok.offsets
        .windows(2)
        .map(|w| (w[1] - w[0]) as usize)
        .collect()
}

/// cls, pooler, labels, idx, token counts and token states of some items.
type Gathered = (Vec<f32>, Vec<f32>, Vec<i64>, Vec<u32>, Vec<usize>, Vec<f32>);

/// Items `rows` of `s`, as one batch.
fn gather_batch(s: &HiddenStates, rows: &[usize]) -> Gathered {
    let Labels::Classes(y) = &s.labels else {
        unreachable!()
    };
    let tok = s.tokens.as_ref().unwrap();
    let (mut cls, mut pooler, mut data) = (Vec::new(), Vec::new(), Vec::new());
    for &r in rows {
        cls.extend_from_slice(&s.readouts[0].1[r * 12..(r + 1) * 12]);
        pooler.extend_from_slice(&s.readouts[1].1[r * 4..(r + 1) * 4]);
        data.extend_from_slice(
            &tok.data[tok.offsets[r] as usize * 12..tok.offsets[r + 1] as usize * 12],
        );
    }
    let lens = rows
        .iter()
        .map(|&r| (tok.offsets[r + 1] - tok.offsets[r]) as usize)
        .collect();
    let labels = rows.iter().map(|&r| y[r]).collect();
    let idx = rows.iter().map(|&r| s.idx[r]).collect();
    (cls, pooler, labels, idx, lens, data)
}

/// Runs `f` on `g` as a [`HiddenBatch`].
fn with_batch<R>(g: &Gathered, f: impl FnOnce(&HiddenBatch) -> R) -> R {
    let (cls, pooler, y, idx, lens, data) = g;
    f(&HiddenBatch {
        readouts: &[cls, pooler],
        labels: LabelSlice::Classes(y),
        idx,
        tokens: Some(TokenBatch { lens, data }),
    })
}

#[test]
fn rows_written_in_any_order_match_one_shot_and_are_checked() {
    let dir = tmpdir("rows");
    let s = states(7, true);
    let one = dir.join("one.safetensors");
    s.write(&one).unwrap();
    let two = dir.join("two.safetensors");
    let tok = s.tokens.as_ref().unwrap();
    let all_lens = token_lens(tok);
    let mut w = HiddenWriter::create(&two, s.meta.clone(), 7, Some(&all_lens)).unwrap();
    for rows in [vec![5usize, 1, 2], vec![6, 0], vec![4, 3]] {
        with_batch(&gather_batch(&s, &rows), |b| w.write_rows(&rows, b)).unwrap();
        if rows == [6, 0] {
            // The same row again, a duplicate inside a batch, a row past N, wrong token counts.
            for (bad_rows, want) in [
                (vec![0usize, 2], "row 0 written twice"),
                (vec![3, 3], "row 3 twice in one batch"),
                (vec![3, 7], "row 7 is beyond the 7 declared"),
                (vec![3, 4], "row 3: 5 token states, but 4 tokens declared"),
            ] {
                let mut g = gather_batch(&s, &[3, 4]);
                if want.contains("token states") {
                    g.4.swap(0, 1);
                }
                let err = with_batch(&g, |b| w.write_rows(&bad_rows, b))
                    .unwrap_err()
                    .to_string();
                assert!(err.contains(want), "{err}");
            }
        }
    }
    assert_eq!(w.rows(), 7);
    w.finish().unwrap();
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unfinished_writer_leaves_nothing() {
    let dir = tmpdir("drop");
    let path = dir.join("x.safetensors");
    let w = HiddenWriter::create(&path, meta(TaskKind::Regression), 3, None).unwrap();
    drop(w);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let w = HiddenWriter::create(&path, meta(TaskKind::Regression), 3, None).unwrap();
    let err = w.finish().unwrap_err().to_string();
    assert!(err.contains("0 rows written, 3 declared"), "{err}");
    assert!(!path.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rejects_bad_files_with_clear_errors() {
    let dir = tmpdir("bad");
    let path = dir.join("bad.safetensors");
    // Wrong label dtype: regression metadata over an I64 label.
    let mut s = states(2, false);
    s.meta.kind = TaskKind::Regression;
    s.meta.metrics = vec!["pearson".into()];
    let err = s.write(&path).unwrap_err().to_string();
    assert!(err.contains("label type does not match"), "{err}");
    // Write valid, then corrupt the metadata via the safetensors crate.
    let s = states(2, false);
    s.write(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut md = HiddenMeta::to_map(&s.meta);
    md.insert(META_METRICS.into(), "pearson".into());
    let tensors: Vec<_> = st.tensors();
    let out = safetensors::serialize(tensors, Some(md)).unwrap();
    std::fs::write(&path, out).unwrap();
    let err = HiddenReader::open(&path).unwrap_err().to_string();
    assert!(
        err.contains("bad.safetensors") && err.contains("`metrics`") && err.contains("pearson"),
        "{err}"
    );
    // Truncated file.
    std::fs::write(&path, &bytes[..bytes.len() - 4]).unwrap();
    let err = HiddenReader::open(&path).unwrap_err().to_string();
    assert!(err.contains("not a valid safetensors file"), "{err}");
    // A readout tensor of the wrong shape.
    let mut md = HiddenMeta::to_map(&s.meta);
    md.insert(META_HIDDEN_SIZE.into(), "8".into());
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    std::fs::write(
        &path,
        safetensors::serialize(st.tensors(), Some(md)).unwrap(),
    )
    .unwrap();
    let err = HiddenReader::open(&path).unwrap_err().to_string();
    assert!(
        err.contains("tensor `") && err.contains("expected F32 ["),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
