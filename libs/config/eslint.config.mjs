import baseConfig from "../../eslint.config.mjs";

// The one library that reads the environment.
export default [...baseConfig, { files: ["**/*.ts"], rules: { "no-restricted-properties": "off" } }];
