import baseConfig from "../../eslint.config.mjs";

// The test harness (@case-storage/testing) builds on this library (createDataSource,
// runMigrations), and this library's tests use the harness: a project-graph cycle that
// exists only through test files, which production code can never follow (importing the
// harness outside tests is a lint error). So in test files only, that one cycle is
// ignored; every other module-boundary constraint is inherited unchanged from the root.
// Redundant once the root config sets `ignoredCircularDependencies` for the harness.
const rule = "@nx/enforce-module-boundaries";
const [severity, options] = baseConfig.find((c) => c.rules?.[rule])?.rules[rule] ?? [];
if (!options) throw new Error(`root eslint config has no ${rule} options to extend`);

export default [
    ...baseConfig,
    {
        files: ["**/*.spec.ts", "**/*.int-spec.ts"],
        rules: {
            [rule]: [severity, { ...options, ignoredCircularDependencies: [...(options.ignoredCircularDependencies ?? []), ["persistence", "testing"]] }]
        }
    }
];
