//! Grouping questions by meaning: sentence vectors (one per question, unit length, from
//! `handoff-embed`) clustered by how close they are, so "I was billed two times", "double payment
//! on my card" and "you took my money twice" land together although they share no word.
//!
//! 1. Questions without a meaningful word ("hi", "human!!") form the `(no details)` group, as
//!    in the word grouping.
//! 2. Average-linkage agglomerative clustering over cosine distances, cut where groups are
//!    on average [`MeaningParams::cut_distance`] apart, finds the groups. It is quadratic in
//!    time and memory, so beyond [`DENSITY_SAMPLE`] questions it runs on an evenly spread
//!    sample (ids in order): every topic big enough to matter is in the sample many times over.
//!    (HDBSCAN, tried first, split and chained these short texts badly: docs/benchmarks.md.)
//! 3. Every question left over — in a group smaller than [`MeaningParams::min_group`], or
//!    outside the sample — joins the nearest group when it is similar enough to its centroid
//!    ([`MeaningParams::attach_cosine`]); the rest keep their small groups, and questions outside
//!    the sample that join nothing are grouped by words among themselves.
//! 4. One round of moving every question of the big groups to its nearest centroid (k-means
//!    style) mends what the linkage's greedy merges got wrong at the edges.
//!
//! Labels, representatives and top terms come from the words of each group, as before. No
//! step depends on input order or randomness: same questions, same groups, same order.
//! The knobs were tuned on the `tune` half of tests/fixtures/review_eval.tsv only; the
//! `holdout` half is reported separately (docs/benchmarks.md).

use super::cluster::{self, Cluster, Document};

/// Questions the agglomerative step sees at most (1,000 → a 4 MB distance matrix; the review
/// of 10,000 handoffs stays well under a second).
pub const DENSITY_SAMPLE: usize = 1_000;

/// The knobs of grouping by meaning; [`MeaningParams::default`] holds the tuned values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeaningParams {
    /// Average cosine distance at which two groups stop merging.
    pub cut_distance: f32,
    /// Groups smaller than this are leftovers that may join a bigger one.
    pub min_group: usize,
    /// A leftover question joins the nearest group at this cosine to its centroid.
    pub attach_cosine: f32,
    /// Rounds of moving every question to its nearest centroid, like k-means, after the rest.
    pub refine_rounds: usize,
}

impl Default for MeaningParams {
    fn default() -> Self {
        Self { cut_distance: 0.65, min_group: 3, attach_cosine: 0.4, refine_rounds: 1 }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn centroid(members: &[usize], vectors: &[&[f32]]) -> Vec<f32> {
    let dims = vectors.first().map_or(0, |v| v.len());
    let mut sum = vec![0f32; dims];
    for &m in members {
        for (s, x) in sum.iter_mut().zip(vectors[m]) {
            *s += x;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    sum.iter_mut().for_each(|x| *x /= norm);
    sum
}

/// Average-linkage clusters of `sample` (indices into `vectors`) cut at `cut`, by the
/// nearest-neighbour chain: O(n²) time, one n×n matrix. Ties go to the lower index, so the
/// result does not depend on anything but the input.
fn average_linkage(sample: &[usize], vectors: &[&[f32]], cut: f32) -> Vec<Vec<usize>> {
    let n = sample.len();
    let mut distance = vec![0f32; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let d = (1.0 - dot(vectors[sample[i]], vectors[sample[j]])).max(0.0);
            distance[i * n + j] = d;
            distance[j * n + i] = d;
        }
    }
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    // Active: may still merge. A cluster whose nearest neighbour is beyond the cut never will:
    // with average linkage, merging others never brings them closer than the nearer part was.
    let mut active = vec![true; n];
    let mut remaining = n;
    let mut chain: Vec<usize> = Vec::new();
    let nearest = |from: usize, active: &[bool], distance: &[f32]| -> Option<(usize, f32)> {
        let mut best: Option<(usize, f32)> = None;
        for k in (0..n).filter(|&k| k != from && active[k]) {
            let d = distance[from * n + k];
            if best.is_none_or(|(_, b)| d < b) {
                best = Some((k, d));
            }
        }
        best
    };
    while remaining > 1 {
        let top = match chain.last() {
            Some(&top) => top,
            None => match (0..n).find(|&i| active[i]) {
                Some(first) => {
                    chain.push(first);
                    first
                }
                None => break,
            },
        };
        let Some((next, d)) = nearest(top, &active, &distance) else { break };
        if d > cut {
            active[top] = false;
            remaining -= 1;
            chain.pop();
            continue;
        }
        if chain.len() >= 2 && chain[chain.len() - 2] == next {
            chain.pop();
            chain.pop();
            let (keep, gone) = (top.min(next), top.max(next));
            let (size_keep, size_gone) = (members[keep].len() as f32, members[gone].len() as f32);
            for k in (0..n).filter(|&k| active[k] && k != keep && k != gone) {
                let merged =
                    (size_keep * distance[keep * n + k] + size_gone * distance[gone * n + k]) / (size_keep + size_gone);
                distance[keep * n + k] = merged;
                distance[k * n + keep] = merged;
            }
            let moved = std::mem::take(&mut members[gone]);
            members[keep].extend(moved);
            active[gone] = false;
            remaining -= 1;
        } else {
            chain.push(next);
        }
    }
    members
        .into_iter()
        .filter(|m| !m.is_empty())
        .map(|m| {
            let mut indices: Vec<usize> = m.into_iter().map(|i| sample[i]).collect();
            indices.sort_unstable();
            indices
        })
        .collect()
}

/// Moves every question to the group whose centroid is nearest (ties to the earlier group);
/// groups left empty disappear.
fn refine(groups: Vec<Vec<usize>>, vectors: &[&[f32]]) -> Vec<Vec<usize>> {
    let centroids: Vec<Vec<f32>> = groups.iter().map(|g| centroid(g, vectors)).collect();
    let mut moved: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for &i in groups.iter().flatten() {
        let mut best = (0, f32::MIN);
        for (g, c) in centroids.iter().enumerate() {
            let cos = dot(vectors[i], c);
            if cos > best.1 {
                best = (g, cos);
            }
        }
        moved[best.0].push(i);
    }
    moved.into_iter().filter(|g| !g.is_empty()).collect()
}

/// Groups `documents` by meaning; `vectors[i]` is the unit vector of `documents[i]`.
pub fn cluster_by_meaning(documents: &[Document], vectors: &[Vec<f32>]) -> Vec<Cluster> {
    cluster_by_meaning_with(documents, vectors, &MeaningParams::default())
}

/// The same with other knobs (for tuning and its tests).
pub fn cluster_by_meaning_with(documents: &[Document], vectors: &[Vec<f32>], params: &MeaningParams) -> Vec<Cluster> {
    assert_eq!(documents.len(), vectors.len(), "one vector per document");
    let mut order: Vec<usize> = (0..documents.len()).collect();
    order.sort_by(|&a, &b| documents[a].id.cmp(&documents[b].id).then(documents[a].text.cmp(&documents[b].text)));
    let sorted: Vec<Document> = order.iter().map(|&i| documents[i].clone()).collect();
    let sorted_vectors: Vec<&[f32]> = order.iter().map(|&i| vectors[i].as_slice()).collect();
    let (with_words, empty): (Vec<usize>, Vec<usize>) =
        (0..sorted.len()).partition(|&i| !cluster::tokenize(&sorted[i].text).is_empty());

    let sample: Vec<usize> = if with_words.len() <= DENSITY_SAMPLE {
        with_words.clone()
    } else {
        (0..DENSITY_SAMPLE).map(|k| with_words[k * with_words.len() / DENSITY_SAMPLE]).collect()
    };
    let (mut groups, small): (Vec<Vec<usize>>, Vec<Vec<usize>>) =
        average_linkage(&sample, &sorted_vectors, params.cut_distance)
            .into_iter()
            .partition(|g| g.len() >= params.min_group);
    let mut in_sample = vec![false; sorted.len()];
    sample.iter().for_each(|&i| in_sample[i] = true);

    let centroids: Vec<Vec<f32>> = groups.iter().map(|g| centroid(g, &sorted_vectors)).collect();
    let nearest_group = |i: usize| -> Option<usize> {
        let mut best: Option<(usize, f32)> = None;
        for (g, c) in centroids.iter().enumerate() {
            let cos = dot(sorted_vectors[i], c);
            if best.is_none_or(|(_, b)| cos > b) {
                best = Some((g, cos));
            }
        }
        best.filter(|&(_, cos)| cos >= params.attach_cosine).map(|(g, _)| g)
    };
    let mut joins: Vec<(usize, usize)> = Vec::new();
    let mut kept_small: Vec<Vec<usize>> = Vec::new();
    for group in small {
        let mut stay = Vec::new();
        for i in group {
            match nearest_group(i) {
                Some(g) => joins.push((g, i)),
                None => stay.push(i),
            }
        }
        if !stay.is_empty() {
            kept_small.push(stay);
        }
    }
    let mut outside = Vec::new();
    for &i in with_words.iter().filter(|&&i| !in_sample[i]) {
        match nearest_group(i) {
            Some(g) => joins.push((g, i)),
            None => outside.push(i),
        }
    }
    for (g, i) in joins {
        groups[g].push(i);
    }
    for _ in 0..params.refine_rounds {
        groups = refine(groups, &sorted_vectors);
    }
    groups.extend(kept_small);
    groups.iter_mut().for_each(|g| g.sort_unstable());

    let mut clusters = cluster::describe_groups(&sorted, &groups);
    let outside_documents: Vec<Document> = outside.iter().map(|&i| sorted[i].clone()).collect();
    clusters.extend(cluster::cluster(&outside_documents));
    if !empty.is_empty() {
        clusters.push(cluster::no_details(empty.iter().map(|&i| sorted[i].id).collect()));
    }
    cluster::sort_clusters(&mut clusters);
    clusters
}
