declare module "virtual:layout-worker" {
  /** Source of the bundled layout worker (src/worker.ts), inlined by the build script. */
  const source: string;
  export default source;
}
