package report

import (
	"fmt"
	"slices"

	"github.com/orch-build/orch/runner"
)

// The dependency graph's geometry, in pixels. A level with more targets
// than graphRows is drawn as several columns, so that a batch of a
// thousand independent targets stays a block rather than a long column.
const (
	graphNodeW  = 160
	graphNodeH  = 20
	graphGapY   = 6
	graphGapX   = 56
	graphMargin = 10
	graphRows   = 30
)

type graphView struct {
	Width, Height, NodeW, NodeH int
	Nodes                       []nodeView
	Edges                       []edgeView
}

type nodeView struct {
	I                  int
	X, Y, TextX, TextY string
	Status             runner.Status
	Label, Title       string
	Crit               bool
}

type edgeView struct {
	Kind, D, Title string
	Crit           bool
}

// newGraph draws the run's dependency graph in layers: a target's level is
// one more than its deepest dependency's, levels go left to right, and
// within a level targets keep plan order. An edge that passes a result (a
// `target:` link) is solid, an order-only one (depends_on) dashed; the
// critical path is drawn bold.
func newGraph(rep *runner.Report, onPath map[int]bool, crit []int) graphView {
	n := len(rep.Outcomes)
	index := make(map[string]int, n)
	level := make([]int, n)
	levels := 0
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		index[o.Name] = i
		for _, d := range o.Dependencies {
			if j, ok := index[d]; ok {
				level[i] = max(level[i], level[j]+1)
			}
		}
		levels = max(levels, level[i]+1)
	}
	// Each level's targets, then their column and row.
	byLevel := make([][]int, levels)
	for i := range n {
		byLevel[level[i]] = append(byLevel[level[i]], i)
	}
	col, row := make([]int, n), make([]int, n)
	cols, rows := 0, 0
	for _, members := range byLevel {
		for k, i := range members {
			col[i], row[i] = cols+k/graphRows, k%graphRows
			rows = max(rows, row[i]+1)
		}
		cols += (len(members) + graphRows - 1) / graphRows
	}
	x := func(i int) float64 { return float64(graphMargin + col[i]*(graphNodeW+graphGapX)) }
	y := func(i int) float64 { return float64(graphMargin + row[i]*(graphNodeH+graphGapY)) }
	g := graphView{
		Width:  2*graphMargin + max(cols, 1)*(graphNodeW+graphGapX) - graphGapX,
		Height: 2*graphMargin + max(rows, 1)*(graphNodeH+graphGapY) - graphGapY,
		NodeW:  graphNodeW, NodeH: graphNodeH,
	}
	critEdge := map[[2]int]bool{}
	for k := 1; k < len(crit); k++ {
		critEdge[[2]int{crit[k-1], crit[k]}] = true
	}
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		for _, d := range o.Dependencies {
			j, ok := index[d]
			if !ok {
				continue
			}
			kind, what := "order", "ordered after"
			if slices.Contains(o.Links, d) {
				kind, what = "data", "builds on"
			}
			x0, y0 := x(j)+graphNodeW, y(j)+graphNodeH/2
			x1, y1 := x(i), y(i)+graphNodeH/2
			mid := (x0 + x1) / 2
			g.Edges = append(g.Edges, edgeView{
				Kind:  kind,
				D:     fmt.Sprintf("M%s %sC%s %s,%s %s,%s %s", px(x0), px(y0), px(mid), px(y0), px(mid), px(y1), px(x1), px(y1)),
				Title: fmt.Sprintf("%s %s %s", o.Name, what, d),
				Crit:  critEdge[[2]int{j, i}],
			})
		}
		g.Nodes = append(g.Nodes, nodeView{
			I: i, X: px(x(i)), Y: px(y(i)), TextX: px(x(i) + 6), TextY: px(y(i) + graphNodeH - 6),
			Status: o.Status, Label: truncate(o.Name, 24), Title: rowTitle(o), Crit: onPath[i],
		})
	}
	return g
}
