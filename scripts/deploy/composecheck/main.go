// composecheck loads a Compose file the way `docker compose config` does, with
// compose-go (the library Docker Compose itself uses): .env interpolation,
// validation against the Compose specification's JSON schema, and the model's
// own checks (unknown services in depends_on, bad durations, ...). It prints the
// resolved project as JSON, for test/deploy/compose.test.ts, or the error.
//
//	composecheck -f docker-compose.yml -env-file .env.example [-profile vault]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	file := flag.String("f", "docker-compose.yml", "Compose file")
	envFile := flag.String("env-file", "", "env file used for interpolation (default: .env beside the Compose file)")
	var profiles list
	flag.Var(&profiles, "profile", "profile to enable (repeatable)")
	flag.Parse()

	dir := filepath.Dir(*file)
	options := []cli.ProjectOptionsFn{cli.WithWorkingDirectory(dir), cli.WithProfiles(profiles)}
	if *envFile != "" {
		options = append(options, cli.WithEnvFiles(*envFile))
	}
	// Only the env file feeds interpolation (not this process's environment), so results are reproducible.
	options = append(options, cli.WithDotEnv)
	projectOptions, err := cli.NewProjectOptions([]string{*file}, options...)
	if err != nil {
		fail(err)
	}
	project, err := projectOptions.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(out)
	os.Stdout.WriteString("\n")
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "composecheck: %v\n", err)
	os.Exit(1)
}
