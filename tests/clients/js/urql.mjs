// The urql example of docs/clients.md. Usage (the test passes these in env):
//   EDOM_URL=http://host/graphql EDOM_WS_URL=ws://host/graphql EDOM_TOKEN=… \
//   EDOM_BUILDING_ID=… node urql.mjs
// Prints one JSON line per result: the query's, then the first chat event's.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWSClient } from "graphql-ws";
import WebSocket from "ws";

const { EDOM_URL, EDOM_WS_URL, EDOM_TOKEN, EDOM_BUILDING_ID } = process.env;

// --- urql client ---
const wsClient = createWSClient({
  url: EDOM_WS_URL,
  webSocketImpl: WebSocket,
  connectionParams: () => ({ authorization: `Bearer ${EDOM_TOKEN}` }),
  shouldRetry: (event) => event?.code !== 4403,
});
const client = new Client({
  url: EDOM_URL,
  fetchOptions: () => ({ headers: { authorization: `Bearer ${EDOM_TOKEN}` } }),
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({ unsubscribe: wsClient.subscribe(request, sink) }),
      }),
    }),
  ],
});
// --- end ---

const chat = await client
  .query("query ($id: ID!) { building(id: $id) { chat { id eventsCursor } } }", {
    id: EDOM_BUILDING_ID,
  })
  .toPromise();
console.log(JSON.stringify({ data: chat.data, error: chat.error?.message ?? null }));
const { id, eventsCursor } = chat.data.building.chat;
// --- urql subscription ---
const event = await new Promise((resolve) => {
  const { unsubscribe } = client
    .subscription(
      `subscription ($chatId: ID!, $after: String) {
        chatMessageEvents(chatId: $chatId, after: $after) { cursor kind message { body } }
      }`,
      { chatId: id, after: eventsCursor },
    )
    .subscribe((result) => {
      unsubscribe(); // after the first event, for this example
      resolve(result);
    });
});
// --- end ---
console.log(JSON.stringify({ data: event.data, error: event.error?.message ?? null }));
await wsClient.dispose();
process.exit(0);
