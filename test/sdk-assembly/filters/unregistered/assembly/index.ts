// A filter that forgot `registerFilter`: its load must fail with a message saying so.
export * from "../../../../../sdk/assembly/exports";
