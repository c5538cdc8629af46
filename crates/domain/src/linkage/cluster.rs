//! Clusters: the people records belong to, as the connected groups of pairs judged the same
//! person.

/// Each record's cluster (the lowest-numbered record in it), from the pairs that link them.
pub fn clusters(records: usize, links: impl IntoIterator<Item = (u32, u32)>) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..records as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for (a, b) in links {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            // The lower becomes the root, so a cluster is named by its lowest record.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[hi as usize] = lo;
        }
    }
    (0..records as u32).map(|x| root(&mut parent, x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn linked_records_share_a_cluster() {
        let c = clusters(6, [(0, 2), (4, 2), (3, 5)]);
        assert_eq!(c, vec![0, 1, 0, 3, 0, 3]);
    }

    proptest! {
        /// Two records share a cluster exactly when a chain of links joins them.
        #[test]
        fn clusters_are_the_connected_components(links in proptest::collection::vec((0u32..20, 0u32..20), 0..30)) {
            let c = clusters(20, links.clone());
            for a in 0..20u32 {
                // Everything reachable from a, by search.
                let mut seen = vec![a];
                let mut i = 0;
                while i < seen.len() {
                    let x = seen[i];
                    for &(p, q) in &links {
                        for (from, to) in [(p, q), (q, p)] {
                            if from == x && !seen.contains(&to) {
                                seen.push(to);
                            }
                        }
                    }
                    i += 1;
                }
                for b in 0..20u32 {
                    prop_assert_eq!(c[a as usize] == c[b as usize], seen.contains(&b));
                }
                prop_assert_eq!(c[a as usize], *seen.iter().min().unwrap_or(&a));
            }
        }
    }
}
