/** Stream ids of the log: one stream per definition, profile, instance and import run. */
export const streams = {
  definition: (id: string) => `definition-${id}`,
  profile: (id: string) => `profile-${id}`,
  instance: (id: string) => `instance-${id}`,
  run: (id: string) => `import-${id}`,
};
