// Uses Hookline through the two generated TypeScript clients (openapi-typescript with openapi-fetch, and @hey-api/openapi-ts),
// as a TypeScript team would: GeneratedClientTests type-checks it against the served document and runs it against the server.
import createClient from "openapi-fetch";
import type { paths } from "./api";
import { client as hey } from "./hey/client.gen";
import { getWebhook, getWebhooks, postWebhook, getWebhookLogs } from "./hey/sdk.gen";
import type { WebhookConfig } from "./hey/types.gen";

declare const process: { argv: string[]; exit(code: number): never }; // Node's, without its type package

async function main(baseUrl: string, token: string) {
  const headers = { Authorization: `Bearer ${token}` };
  const typed = createClient<paths>({ baseUrl, headers });
  hey.setConfig({ baseUrl, headers });
  const form = (name: string) => ({ name, uri: "https://receiver.example/hook", events: "task_added", isActive: true, authenticationType: "none" });

  const first = await typed.POST("/api/v1/webhooks", { body: form("from openapi-fetch") });
  const second = await postWebhook({ body: form("from hey-api") });
  const firstId: string = first.data!.id!;
  const secondId: string = second.data!.id!;

  const listed = await typed.GET("/api/v1/webhooks", { params: { query: { orderby: "name", filterby: "startswith(name,'from')" } } });
  const heyListed = await getWebhooks({ query: { orderby: "name desc" } });
  const readBack = await typed.GET("/api/v1/webhooks/{webhookId}", { params: { path: { webhookId: secondId } } });
  const heyReadBack = await getWebhook({ path: { webhookId: firstId } });
  const logs = await getWebhookLogs({ path: { webhookId: firstId } });
  const missing = await typed.GET("/api/v1/webhooks/{webhookId}", { params: { path: { webhookId: "00000000-0000-4000-8000-000000000000" } } });
  const invalid = await typed.POST("/api/v1/webhooks", { body: { ...form(""), uri: "not a uri" } });

  const names = (hooks: WebhookConfig[] | undefined) => (hooks ?? []).map(h => h.name);
  console.log(JSON.stringify({
    listed: names(listed.data), heyListed: names(heyListed.data),
    readBack: readBack.data?.name, heyReadBack: heyReadBack.data?.name, logs: logs.data?.length,
    missing: [missing.response.status, missing.error?.code],
    invalid: [invalid.response.status, invalid.error?.code, (invalid.error?.validationErrors ?? []).map(e => e.property)],
  }));
}

main(process.argv[2], process.argv[3]).catch(e => { console.error(e); process.exit(1); });
