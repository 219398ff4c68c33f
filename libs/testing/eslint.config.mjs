import baseConfig from "../../eslint.config.mjs";

// The test harness is test code: it reads the test process's environment.
export default [...baseConfig, { files: ["**/*.ts"], rules: { "no-restricted-properties": "off", "no-restricted-imports": "off" } }];
