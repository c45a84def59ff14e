//! The Rust recipe reproduces the sentence-transformers reference (reference/README.md says
//! how the vectors were made) to 1e-4 per component — truncation at 256 tokens included.

use handoff_embed::{cosine, Embedder, MiniLm, ModelLocation};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    max_seq_length: usize,
    sentences: Vec<Sentence>,
}

#[derive(Deserialize)]
struct Sentence {
    text: String,
    vector: Vec<f32>,
}

fn model() -> MiniLm {
    let location = ModelLocation::standard();
    let dir = location.dir().unwrap_or_else(|e| panic!("{e}"));
    MiniLm::load(dir).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn vectors_match_the_python_reference() {
    let reference: Reference =
        serde_json::from_str(include_str!("reference/minilm_reference.json")).expect("reference file");
    assert_eq!(reference.max_seq_length, 256);
    let model = model();
    let texts: Vec<&str> = reference.sentences.iter().map(|s| s.text.as_str()).collect();
    let vectors = model.embed(&texts).expect("embedding");
    for (sentence, vector) in reference.sentences.iter().zip(&vectors) {
        assert_eq!(vector.len(), model.dimensions());
        let worst = sentence.vector.iter().zip(vector).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-4, "{:?}: a component is {worst} off the reference", sentence.text);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{:?}: norm {norm}", sentence.text);
    }
}

#[test]
fn a_text_is_embedded_the_same_alone_and_in_a_batch() {
    let model = model();
    let texts = ["I was billed two times", "ok", "where is my parcel?? it has been 3 weeks and nobody answers me"];
    let together = model.embed(&texts).expect("batch");
    for (text, batched) in texts.iter().zip(&together) {
        let alone = model.embed(&[text]).expect("alone");
        let worst = alone[0].iter().zip(batched).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-5, "{text:?}: padding moved the vector by {worst}");
    }
}

#[test]
fn paraphrases_are_closer_than_other_questions() {
    let model = model();
    let v = model
        .embed(&["I was billed two times for one order", "you took my money twice!!", "how do I reset my password"])
        .expect("embedding");
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.2, "paraphrases should be much closer");
}

#[test]
fn a_missing_model_says_where_it_looked_and_what_to_do() {
    let empty = tempfile::tempdir().expect("temp dir");
    let error = match handoff_embed::load(&ModelLocation::at(empty.path())) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("an empty folder loaded as a model"),
    };
    assert!(error.contains("not installed") && error.contains("fetch-model.sh"), "{error}");
    assert!(error.contains(&empty.path().display().to_string()), "{error}");
}

#[test]
fn broken_weights_are_reported_not_panicked_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = ModelLocation::standard();
    let real = location.dir().unwrap_or_else(|e| panic!("{e}"));
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(real.join(file), dir.path().join(file)).expect("copy");
    }
    std::fs::write(dir.path().join("model.safetensors"), b"not a safetensors file").expect("write");
    let error = match handoff_embed::load(&ModelLocation::at(dir.path())) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("garbage loaded as weights"),
    };
    assert!(error.contains("cannot be read") && error.contains("model.safetensors"), "{error}");
}
