package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kfaws/kfaws/internal/operation"
)

// outputFormat is the -o flag of commands that print data.
type outputFormat string

const (
	outputText outputFormat = "text"
	outputJSON outputFormat = "json"
)

var outputFormats = []outputFormat{outputText, outputJSON}

// planJSON is the stable JSON shape of a plan.
type planJSON struct {
	Resources []operation.PlanResource `json:"resources"`
	Steps     []operation.PlanStep     `json:"steps"`
	Warnings  []string                 `json:"warnings"`
	Summary   summaryJSON              `json:"summary"`
}

type summaryJSON struct {
	Create   int  `json:"create"`
	Update   int  `json:"update"`
	Exists   int  `json:"exists"`
	Conflict int  `json:"conflict"`
	Orphan   int  `json:"orphan"`
	Delete   int  `json:"delete"`
	Keep     int  `json:"keep"`
	Changes  bool `json:"changes"`
}

func printPlanJSON(w io.Writer, p *operation.AWSPlan) error {
	return writeJSON(w, planDocument(p))
}

// planDocument is p in its JSON shape; lists are never null.
func planDocument(p *operation.AWSPlan) planJSON {
	s := p.Summary()
	out := planJSON{
		Resources: p.Resources, Steps: p.Steps, Warnings: p.Warnings,
		Summary: summaryJSON{Create: s.Create, Update: s.Update, Exists: s.Exists, Conflict: s.Conflict, Orphan: s.Orphan,
			Delete: s.Delete, Keep: s.Keep, Changes: p.HasChanges()},
	}
	if out.Steps == nil {
		out.Steps = []operation.PlanStep{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return out
}

// printPlanText prints the resources as a table, then the steps with what each waits for.
func printPlanText(w io.Writer, p *operation.AWSPlan) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tNAME\tACTION\tDETAIL")
	for _, r := range p.Resources {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Kind, r.Name, r.Action, r.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Steps) > 0 {
		fmt.Fprintln(w, "\nSteps (each starts when the steps it waits for are done; the others run in parallel):")
		index := map[string]int{}
		for i, s := range p.Steps {
			index[s.ID] = i + 1
		}
		for i, s := range p.Steps {
			line := fmt.Sprintf("  %2d. %s", i+1, s.Description)
			if len(s.After) > 0 {
				var deps []string
				for _, a := range s.After {
					deps = append(deps, fmt.Sprint(index[a]))
				}
				line += " (after " + strings.Join(deps, ", ") + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "\nwarning: %s\n", warn)
	}
	return nil
}

func summaryLine(p *operation.AWSPlan) string {
	s := p.Summary()
	line := fmt.Sprintf("%d to create, %d to update, %d to reuse, %d conflict(s)", s.Create, s.Update, s.Exists, s.Conflict)
	if s.Orphan > 0 {
		line += fmt.Sprintf(", %d kept under old names", s.Orphan)
	}
	return line
}

// writeJSON writes v as one indented JSON document, the shape every -o json output has.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
