//! One stable sort for the whole connector: SigV4's headers and query
//! parameters, and the lists of names an operation returns sorted (bucket
//! names for the dropdown, Test connection's untested permissions, a
//! policy's actions).
//!
//! Written here for its size: the standard library's sorts are 4 KB or
//! more of the component for each element type they are built for. This
//! one takes its order as a function pointer, so that each element type
//! has one copy whatever the orders it is sorted by, and it moves elements
//! with `Default` placeholders, so that it needs no `unsafe`.

use std::cmp::Ordering;

/// The length of the runs [`sort_by`] sorts by insertion before merging
/// them: a request's headers and query parameters, and most lists of
/// names, are fewer than this.
const RUN: usize = 16;

/// Sorts `items` stably by `order`: runs of [`RUN`] by insertion, then
/// merged bottom up, each merge moving its left half out to a scratch
/// vector. `O(n log n)` whatever the order the items come in (a long query
/// a caller signs, the buckets a server lists).
pub fn sort_by<T: Default>(items: &mut [T], order: fn(&T, &T) -> Ordering) {
    for run in items.chunks_mut(RUN) {
        for end in 1..run.len() {
            let mut at = end;
            while at > 0 && order(&run[at - 1], &run[at]) == Ordering::Greater {
                run.swap(at - 1, at);
                at -= 1;
            }
        }
    }
    let mut scratch = Vec::new();
    let mut width = RUN;
    while width < items.len() {
        let mut start = 0;
        while items.len() - start > width {
            let end = items.len().min(start + 2 * width);
            merge(&mut items[start..end], width, &mut scratch, order);
            start = end;
        }
        width *= 2;
    }
}

/// Merges the sorted halves `run[..middle]` and `run[middle..]` of `run`
/// in place, stably: the left half is moved out to `scratch`, then either
/// half's next item goes to the front, the right's only when it orders
/// strictly before the left's. Once the left half is spent, what is left of
/// the right is already where it belongs.
fn merge<T: Default>(run: &mut [T], middle: usize, scratch: &mut Vec<T>, order: fn(&T, &T) -> Ordering) {
    if order(&run[middle - 1], &run[middle]) != Ordering::Greater {
        return;
    }
    scratch.clear();
    scratch.extend(run[..middle].iter_mut().map(std::mem::take));
    let (mut left, mut right) = (0, middle);
    for at in 0..run.len() {
        let Some(next) = scratch.get_mut(left) else {
            break;
        };
        run[at] = if right < run.len() && order(&run[right], next) == Ordering::Less {
            right += 1;
            std::mem::take(&mut run[right - 1])
        } else {
            left += 1;
            std::mem::take(next)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sort_by` orders as the standard library's stable sort does, on
    /// lengths around its runs and merges, with many equal keys (whose
    /// original order the values record) and with the items in any order.
    #[test]
    fn items_sort_stably_as_the_standard_sort_does() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let by_key: fn(&(String, String), &(String, String)) -> Ordering = |a, b| a.0.cmp(&b.0);
        let by_pair: fn(&(String, String), &(String, String)) -> Ordering = |a, b| a.cmp(b);
        for len in (0..=70).chain([127, 128, 129, 255, 256, 257, 1000]) {
            for keys in [1, 3, 40, 1000] {
                for shape in 0..3 {
                    let given: Vec<(String, String)> = (0..len)
                        .map(|i| {
                            let key = match shape {
                                0 => next() % keys,
                                1 => (i as u64) % keys,
                                _ => (len - i) as u64 % keys,
                            };
                            (format!("k{key:04}"), format!("{i}"))
                        })
                        .collect();
                    for order in [by_key, by_pair] {
                        let (mut sorted, mut expected) = (given.clone(), given.clone());
                        expected.sort_by(order);
                        sort_by(&mut sorted, order);
                        assert_eq!(sorted, expected, "{len} items, {keys} keys, shape {shape}");
                    }
                }
            }
        }
    }
}
