//! The probe and CKA tables follow the contract: column names and types, ranks, metadata.

use arrow::array::{Array, Float64Array, ListArray, StringArray, UInt16Array, UInt32Array};
use arrow::datatypes::DataType;
use fewdims_probe::probe_rows::{ProbeGroup, write_probes};
use fewdims_probe::{Metric, ProbeResult};
use fewdims_schema::probe::*;
use fewdims_tables::cka::{CkaRow, write as write_cka};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn result(method: Method, dims: &[u16], dev: f64) -> ProbeResult {
    ProbeResult {
        method,
        dims: dims.to_vec(),
        k: dims.len() as u16,
        dev: vec![dev, 1.0 - dev],
        test: vec![f64::NAN; 2],
    }
}

#[test]
fn probe_table_round_trip() {
    let dir = std::env::temp_dir().join(format!("fewdims-table-{}", std::process::id()));
    let path = dir.join("probes/pre/movie.parquet");
    let groups = vec![
        ProbeGroup {
            layer: 0,
            readout: "cls".into(),
            results: vec![
                result(Method::Full, &[], 0.7),
                result(Method::Pair, &[0, 1], 0.6),
                result(Method::Pair, &[0, 2], f64::NAN),
                result(Method::Pair, &[1, 2], 0.8),
            ],
        },
        ProbeGroup {
            layer: 6,
            readout: "mean".into(),
            results: vec![result(Method::Single, &[5], 0.9)],
        },
    ];
    let meta = vec![(META_TASK.to_string(), "movie".to_string())];
    let rows = write_probes(&path, &groups, &[Metric::Accuracy, Metric::F1], &meta).unwrap();
    assert_eq!(rows, 10);
    let file = std::fs::File::open(&path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let kv = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap();
    assert!(
        kv.iter()
            .any(|k| k.key == META_TASK && k.value.as_deref() == Some("movie"))
    );
    let schema = builder.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            COL_LAYER,
            COL_READOUT,
            COL_METHOD,
            COL_DIMS,
            COL_K,
            COL_METRIC,
            COL_DEV,
            COL_TEST,
            COL_RANK
        ]
    );
    assert!(
        matches!(schema.field_with_name(COL_DIMS).unwrap().data_type(), DataType::List(f) if f.data_type() == &DataType::UInt16)
    );
    let batches: Vec<_> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    let b = &batches[0];
    let col = |n: &str| b.column(schema.index_of(n).unwrap()).clone();
    let method = col(COL_METHOD);
    let method = method.as_any().downcast_ref::<StringArray>().unwrap();
    let metric = col(COL_METRIC);
    let metric = metric.as_any().downcast_ref::<StringArray>().unwrap();
    let rank = col(COL_RANK);
    let rank = rank.as_any().downcast_ref::<UInt32Array>().unwrap();
    let dims = col(COL_DIMS);
    let dims = dims.as_any().downcast_ref::<ListArray>().unwrap();
    let dev = col(COL_DEV);
    let dev = dev.as_any().downcast_ref::<Float64Array>().unwrap();
    // Rows: full (acc, f1), pair01 (acc, f1), pair02, pair12.
    assert_eq!(method.value(0), "full");
    assert_eq!(metric.value(1), "f1");
    assert_eq!(dev.value(3), 0.4);
    // Accuracy ranks among pairs: [1,2] best, [0,1] second, NaN last; f1 = 1 - dev reverses.
    let acc_ranks: Vec<u32> = (2..8).step_by(2).map(|i| rank.value(i)).collect();
    assert_eq!(acc_ranks, [2, 3, 1]);
    let f1_ranks: Vec<u32> = (3..8).step_by(2).map(|i| rank.value(i)).collect();
    assert_eq!(f1_ranks, [1, 3, 2]);
    let d = dims.value(6);
    let d = d.as_any().downcast_ref::<UInt16Array>().unwrap();
    assert_eq!(d.values().to_vec(), vec![1, 2]);
    assert_eq!(dims.value(0).len(), 0);

    let cka = dir.join("changes/a_vs_b/movie/dev.parquet");
    let rows = vec![CkaRow {
        layer: 0,
        readout: "cls".into(),
        cka: 0.9,
        mean_cosine: 0.8,
        n: 10,
    }];
    write_cka(&cka, &rows, &meta).unwrap();
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&cka).unwrap()).unwrap();
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [COL_LAYER, COL_READOUT, COL_CKA, COL_MEAN_COSINE, COL_N]
    );
    std::fs::remove_dir_all(dir).unwrap();
}
