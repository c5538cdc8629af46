//! Disclosure control for published figures (`statistics.md`): counts from 1 to below the
//! threshold are shown as "<5" (primary suppression), and in any row or column, totals
//! included, where exactly one figure is hidden, the next smallest is hidden too (secondary
//! suppression), so no hidden figure can be worked out by subtraction. Repeated until no line
//! gives one away.

/// The default threshold: counts 1 to 4 are hidden.
pub const DEFAULT_THRESHOLD: u64 = 5;

/// One published figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Shown(u64),
    /// Hidden because it is small: shown as "<5".
    Small,
    /// Hidden so that a small figure cannot be worked out from the totals.
    Secondary,
}

impl Cell {
    pub fn shown(self) -> Option<u64> {
        match self {
            Cell::Shown(n) => Some(n),
            _ => None,
        }
    }

    pub fn is_hidden(self) -> bool {
        !matches!(self, Cell::Shown(_))
    }

    /// As the reports and exports print it; `threshold` names the primary mark.
    pub fn show(self, threshold: u64) -> String {
        match self {
            Cell::Shown(n) => n.to_string(),
            Cell::Small => format!("<{threshold}"),
            Cell::Secondary => "[c]".into(),
        }
    }
}

/// A table of counts with its row, column and grand totals, after suppression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub cells: Vec<Vec<Cell>>,
    pub row_totals: Vec<Cell>,
    pub column_totals: Vec<Cell>,
    pub total: Cell,
}

impl Table {
    /// How many figures were hidden, primary and secondary.
    pub fn hidden(&self) -> (usize, usize) {
        let all = self
            .cells
            .iter()
            .flatten()
            .chain(&self.row_totals)
            .chain(&self.column_totals)
            .chain(std::iter::once(&self.total));
        all.fold((0, 0), |(p, s), c| match c {
            Cell::Small => (p + 1, s),
            Cell::Secondary => (p, s + 1),
            Cell::Shown(_) => (p, s),
        })
    }
}

/// Suppresses a table of counts (rows of equal length) and its margins.
pub fn suppress_table(counts: &[Vec<u64>], threshold: u64) -> Table {
    let rows = counts.len();
    let cols = counts.first().map_or(0, Vec::len);
    // The whole grid with the margins as its last row and column.
    let mut grid: Vec<Vec<u64>> = counts
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.push(r.iter().sum());
            r
        })
        .collect();
    let margin: Vec<u64> = (0..=cols)
        .map(|j| grid.iter().map(|r| r[j]).sum())
        .collect();
    grid.push(margin);
    let small = |n: u64| n > 0 && n < threshold;
    let mut out: Vec<Vec<Cell>> = grid
        .iter()
        .map(|r| {
            r.iter()
                .map(|&n| {
                    if small(n) {
                        Cell::Small
                    } else {
                        Cell::Shown(n)
                    }
                })
                .collect()
        })
        .collect();
    // Every line that adds up: each row with its total, each column with its total.
    let mut lines: Vec<Vec<(usize, usize)>> = (0..=rows)
        .map(|i| (0..=cols).map(|j| (i, j)).collect())
        .collect();
    lines.extend((0..=cols).map(|j| (0..=rows).map(|i| (i, j)).collect()));
    loop {
        let mut changed = false;
        for line in &lines {
            let hidden = line.iter().filter(|(i, j)| out[*i][*j].is_hidden()).count();
            if hidden != 1 {
                continue;
            }
            let next = line
                .iter()
                .filter(|(i, j)| !out[*i][*j].is_hidden() && grid[*i][*j] > 0)
                .min_by_key(|(i, j)| grid[*i][*j]);
            if let Some(&(i, j)) = next {
                out[i][j] = Cell::Secondary;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut column_totals = out.pop().unwrap_or_default();
    let total = column_totals.pop().unwrap_or(Cell::Shown(0));
    let row_totals = out
        .iter_mut()
        .map(|r| r.pop().unwrap_or(Cell::Shown(0)))
        .collect();
    Table {
        cells: out,
        row_totals,
        column_totals,
        total,
    }
}

/// Suppresses one list of counts that is published with its total.
pub fn suppress_row(counts: &[u64], threshold: u64) -> (Vec<Cell>, Cell) {
    let mut t = suppress_table(&[counts.to_vec()], threshold);
    let total = t.row_totals.pop().unwrap_or(Cell::Shown(0));
    (t.cells.pop().unwrap_or_default(), total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Cell::{Secondary as C, Shown as S, Small as P};

    #[test]
    fn a_small_count_and_the_next_smallest_in_its_row_are_hidden() {
        assert_eq!(
            suppress_row(&[8, 3, 0, 6], 5),
            (vec![S(8), P, S(0), C], S(17))
        );
        // Two small ones protect each other.
        assert_eq!(
            suppress_row(&[8, 3, 2, 6], 5),
            (vec![S(8), P, P, S(6)], S(19))
        );
        assert_eq!(
            suppress_row(&[0, 12, 5], 5),
            (vec![S(0), S(12), S(5)], S(17))
        );
        // Nothing else to hide: the total, small itself, is hidden with it.
        assert_eq!(suppress_row(&[0, 3, 0], 5), (vec![S(0), P, S(0)], P));
    }

    #[test]
    fn the_threshold_is_a_setting() {
        assert_eq!(suppress_row(&[6, 9, 20], 10), (vec![P, P, S(20)], S(35)));
        assert_eq!(suppress_row(&[6, 9, 20], 5).0, vec![S(6), S(9), S(20)]);
    }

    /// Hand-worked: the 2 is hidden; its row hides the next smallest, the 6, and its column the
    /// 7; the 6's column and the 7's row each then have one hidden, and both hide the 12 they
    /// share. Every line now has none hidden or two, and the totals stay shown.
    #[test]
    fn secondary_suppression_holds_across_rows_and_columns() {
        let counts = vec![vec![2, 6, 30], vec![7, 12, 40], vec![20, 25, 50]];
        let t = suppress_table(&counts, 5);
        assert_eq!(t.cells[0][0], P);
        // Every line has no hidden figure or at least two.
        let grid: Vec<Vec<Cell>> = t
            .cells
            .iter()
            .zip(&t.row_totals)
            .map(|(r, tot)| r.iter().copied().chain([*tot]).collect())
            .chain([t.column_totals.iter().copied().chain([t.total]).collect()])
            .collect();
        for i in 0..grid.len() {
            let n = grid[i].iter().filter(|c| c.is_hidden()).count();
            assert!(n != 1, "row {i}: {grid:?}");
        }
        for j in 0..grid[0].len() {
            let n = grid.iter().filter(|r| r[j].is_hidden()).count();
            assert!(n != 1, "column {j}: {grid:?}");
        }
        // The smallest choices: the 6 beside it and the 7 below it, then the 12 that both share.
        assert_eq!(t.cells[0][1], C);
        assert_eq!(t.cells[1][0], C);
        assert_eq!(t.cells[1][1], C);
        assert_eq!(t.hidden(), (1, 3));
        // Totals not involved stay shown.
        assert_eq!(t.total, S(192));
        assert_eq!(t.row_totals[2], S(95));
    }

    #[test]
    fn a_small_total_is_hidden_too() {
        let t = suppress_table(&[vec![1, 0], vec![0, 2]], 5);
        assert_eq!(t.total, P);
        assert_eq!(t.cells[0][0], P);
        assert_eq!(t.row_totals[0], P);
        assert_eq!(t.column_totals[1], P);
    }

    #[test]
    fn marks_explain_themselves() {
        assert_eq!(P.show(5), "<5");
        assert_eq!(C.show(5), "[c]");
        assert_eq!(S(12).show(5), "12");
    }
}
