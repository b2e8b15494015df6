//! Training batches: dynamic padding with length-bucketed, seeded batches (evaluation
//! batches: `fewdims_bert::eval_batches`).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// How many batches share one length-sorted pool (more = less padding, less randomness).
const POOL_BATCHES: usize = 50;

/// Training batches of row indices for one epoch: a seeded shuffle, then pools of
/// `POOL_BATCHES` batches sorted by length and cut, then the batch order shuffled.
/// The same (seed, epoch) always gives the same batches.
pub fn train_batches(
    lengths: &[usize],
    batch_size: usize,
    seed: u64,
    epoch: usize,
) -> Vec<Vec<usize>> {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.shuffle(&mut rng);
    let mut batches = Vec::new();
    for pool in order.chunks_mut(batch_size * POOL_BATCHES) {
        pool.sort_by_key(|&i| lengths[i]);
        batches.extend(pool.chunks(batch_size).map(|c| c.to_vec()));
    }
    batches.shuffle(&mut rng);
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_once_seeded_and_bucketed() {
        let lengths: Vec<usize> = (0..1000).map(|i| (i * 37) % 101 + 1).collect();
        let a = train_batches(&lengths, 16, 7, 0);
        let mut seen: Vec<usize> = a.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
        assert_eq!(a, train_batches(&lengths, 16, 7, 0));
        assert_ne!(a, train_batches(&lengths, 16, 7, 1));
        assert_ne!(a, train_batches(&lengths, 16, 8, 0));
        let padding: usize = a
            .iter()
            .map(|b| {
                let max = b.iter().map(|&i| lengths[i]).max().unwrap();
                b.iter().map(|&i| max - lengths[i]).sum::<usize>()
            })
            .sum();
        let total: usize = lengths.iter().sum();
        assert!(
            padding * 10 < total,
            "bucketing keeps padding small: {padding} vs {total}"
        );
    }
}
