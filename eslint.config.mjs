import nx from "@nx/eslint-plugin";

export default [
    ...nx.configs["flat/base"],
    ...nx.configs["flat/typescript"],
    ...nx.configs["flat/javascript"],
    {
        ignores: [
            "**/dist",
            "**/out-tsc"
        ]
    },
    {
        files: [
            "**/*.ts",
            "**/*.tsx",
            "**/*.js",
            "**/*.jsx"
        ],
        rules: {
            "@nx/enforce-module-boundaries": [
                "error",
                {
                    enforceBuildableLibDependency: true,
                    // Libraries' tests use the test harness, which builds on those libraries: a cycle
                    // through test files only, since production code may not import the harness.
                    ignoredCircularDependencies: [["tag:type:testing", "*"]],
                    allow: [
                        "^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$"
                    ],
                    depConstraints: [
                        { sourceTag: "type:app", onlyDependOnLibsWithTags: ["type:feature", "type:data-access", "type:util", "type:testing"] },
                        { sourceTag: "type:feature", onlyDependOnLibsWithTags: ["type:feature", "type:data-access", "type:util", "type:testing"] },
                        { sourceTag: "type:data-access", onlyDependOnLibsWithTags: ["type:data-access", "type:util", "type:testing"] },
                        { sourceTag: "type:util", onlyDependOnLibsWithTags: ["type:util"] },
                        { sourceTag: "type:testing", onlyDependOnLibsWithTags: ["type:testing", "type:feature", "type:data-access", "type:util"] },
                        { sourceTag: "scope:upload", onlyDependOnLibsWithTags: ["scope:upload", "scope:shared"] },
                        { sourceTag: "scope:manifest", onlyDependOnLibsWithTags: ["scope:manifest", "scope:shared"] },
                        { sourceTag: "scope:workspace", onlyDependOnLibsWithTags: ["scope:workspace", "scope:shared"] },
                        { sourceTag: "scope:shared", onlyDependOnLibsWithTags: ["scope:shared"] }
                    ]
                }
            ]
        }
    },
    {
        files: [
            "**/*.ts",
            "**/*.tsx",
            "**/*.cts",
            "**/*.mts",
            "**/*.js",
            "**/*.jsx",
            "**/*.cjs",
            "**/*.mjs"
        ],
        // Override or add rules here
        rules: {}
    },
    {
        files: ["**/*.ts"],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
        },
        rules: {
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/switch-exhaustiveness-check": "error",
            "@typescript-eslint/no-explicit-any": "error"
        }
    },
    {
        // The test harness is for tests: production code never imports it. `src/testing/`
        // folders hold test support and are excluded from every app and lib build.
        files: ["**/*.ts"],
        ignores: ["**/*.spec.ts", "**/*.int-spec.ts", "**/bench/**", "**/src/testing/**"],
        rules: {
            "no-restricted-imports": ["error", { paths: [{ name: "@case-storage/testing", message: "test harness: only for *.spec.ts / *.int-spec.ts" }] }]
        }
    },
    {
        // Only the config library reads the environment; everything else gets a typed AppConfig.
        files: ["**/*.ts"],
        ignores: ["**/main.ts", "**/*.spec.ts", "**/*.int-spec.ts", "**/bench/**", "**/jest.config.*"],
        rules: {
            "no-restricted-properties": ["error", { object: "process", property: "env", message: "read configuration through @case-storage/config" }]
        }
    }
];
