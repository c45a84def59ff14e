//! Agreement of a clustering with labels.
#![allow(dead_code)] // each test uses some of them

use std::collections::HashMap;

/// Share of documents whose cluster's majority label is their own.
pub fn purity(labels: &[&str], predicted: &[usize]) -> f64 {
    let mut counts: HashMap<usize, HashMap<&str, usize>> = HashMap::new();
    for (label, cluster) in labels.iter().zip(predicted) {
        *counts.entry(*cluster).or_default().entry(label).or_default() += 1;
    }
    let majority: usize = counts.values().map(|c| c.values().copied().max().unwrap_or(0)).sum();
    majority as f64 / labels.len() as f64
}

fn pairs(n: usize) -> f64 {
    (n as f64) * (n as f64 - 1.0) / 2.0
}

/// Adjusted Rand index (Hubert & Arabie): 1 for identical partitions, ~0 for random ones.
pub fn adjusted_rand_index(labels: &[&str], predicted: &[usize]) -> f64 {
    let mut table: HashMap<(&str, usize), usize> = HashMap::new();
    let mut rows: HashMap<&str, usize> = HashMap::new();
    let mut columns: HashMap<usize, usize> = HashMap::new();
    for (label, cluster) in labels.iter().zip(predicted) {
        *table.entry((label, *cluster)).or_default() += 1;
        *rows.entry(label).or_default() += 1;
        *columns.entry(*cluster).or_default() += 1;
    }
    let index: f64 = table.values().map(|&n| pairs(n)).sum();
    let sum_rows: f64 = rows.values().map(|&n| pairs(n)).sum();
    let sum_columns: f64 = columns.values().map(|&n| pairs(n)).sum();
    let expected = sum_rows * sum_columns / pairs(labels.len());
    let max = (sum_rows + sum_columns) / 2.0;
    if max == expected {
        1.0
    } else {
        (index - expected) / (max - expected)
    }
}
