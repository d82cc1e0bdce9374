// The live repair desk: open repair requests of an organisation (or one building) as
// columns by status, kept current over the repairRequestBoard subscription.
//
// Loading without a gap: read the organisation's repairBoardCursor first, then the desk,
// then subscribe with `after` = that cursor; events replay from there. Every event carries
// the request as it is now and its `version`; a card is replaced only by a newer or equal
// version, so replays and reconnects never move a card back or show it twice.
//
// No data is ever parsed as HTML: every text goes through textContent.
"use strict";

(() => {
  const OPEN_STATUSES = ["NEW", "ACCEPTED", "IN_PROGRESS", "DEFERRED", "DONE", "REOPENED"];
  const STATUS_LABELS = {
    NEW: "New",
    ACCEPTED: "Accepted",
    IN_PROGRESS: "In progress",
    DEFERRED: "Deferred",
    DONE: "Done",
    REOPENED: "Reopened",
  };
  // Statuses where a passed due time still counts against the organisation.
  const DUE_STATUSES = new Set(["NEW", "ACCEPTED", "IN_PROGRESS", "DEFERRED", "REOPENED"]);
  const TOKEN_KEY = "edom.dashboard.token";
  const SCOPE_KEY = "edom.dashboard.scope";
  const PAGE_SIZE = 100;
  const MAX_PAGES = 50;
  const PING_EVERY_MS = 10000;
  const PONG_TIMEOUT_MS = 5000;
  const CONNECT_TIMEOUT_MS = 10000; // from opening a socket to connection_ack
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const STABLE_AFTER_MS = 5000; // a connection up this long resets the backoff
  const RELOAD_AFTER_MS = 3000; // a failed first load is retried

  const CARD_FIELDS = `
    fragment DashboardCard on RepairRequest {
      id number status version category scope description
      createdAt updatedAt dueAt isOverdue followerCount
      building { id address }
      premise { number }
      assignee { displayName }
    }`;
  const VIEWER_QUERY = `
    query DashboardViewer {
      viewer {
        user { displayName }
        staffMemberships { role organisation { id name } }
        buildings(first: 100) {
          edges { node { id address managementOrganisation { id } } }
        }
      }
    }`;
  const CURSOR_QUERY = `
    query DashboardCursor($id: ID!) {
      node(id: $id) { ... on ManagementOrganisation { repairBoardCursor } }
    }`;
  const DESK_QUERY = `
    query DashboardDesk($organisationId: ID!, $after: String, $filter: RepairRequestDeskFilter) {
      repairRequestDesk(organisationId: $organisationId, first: ${PAGE_SIZE}, after: $after,
                        filter: $filter) {
        edges { node { ...DashboardCard } }
        pageInfo { hasNextPage endCursor }
      }
    }
    ${CARD_FIELDS}`;
  const BOARD_SUBSCRIPTION = `
    subscription DashboardBoard($organisationId: ID, $buildingId: ID, $after: String) {
      repairRequestBoard(organisationId: $organisationId, buildingId: $buildingId,
                         after: $after) {
        cursor kind fromStatus toStatus at
        request { ...DashboardCard }
      }
    }
    ${CARD_FIELDS}`;

  // -- small DOM helpers (text only) ------------------------------------------------------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const $ = (id) => document.getElementById(id);

  function humanise(value) {
    if (!value) return "";
    const words = String(value).toLowerCase().split("_");
    words[0] = words[0].charAt(0).toUpperCase() + words[0].slice(1);
    return words.join(" ");
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const PLACE_LABELS = { BUILDING: "common parts", YARD: "yard" };

  function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : timeFormat.format(date);
  }

  // -- GraphQL over HTTP ------------------------------------------------------------------

  class GraphQLError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  async function graphql(token, query, variables) {
    let response;
    try {
      response = await fetch("/graphql", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/graphql-response+json, application/json",
          Authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query, variables }),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (error) {
      throw new GraphQLError("The server cannot be reached.", "NETWORK");
    }
    let body;
    try {
      body = await response.json();
    } catch (error) {
      throw new GraphQLError(`The server answered ${response.status}.`, "NETWORK");
    }
    if (body.errors && body.errors.length) {
      const first = body.errors[0];
      const code = (first.extensions && first.extensions.code) || "ERROR";
      throw new GraphQLError(first.message || code, code);
    }
    return body.data;
  }

  // -- graphql-transport-ws ---------------------------------------------------------------

  // One subscription over one socket at a time, re-opened with backoff after a drop.
  // `handlers.variables()` is asked on every (re)subscribe, so it resumes from the last
  // cursor seen.
  class LiveSubscription {
    constructor(url, token, query, handlers) {
      this.url = url;
      this.token = token;
      this.query = query;
      this.handlers = handlers;
      this.socket = null;
      this.attempt = 0;
      this.ackedAt = 0;
      this.stopped = false;
      this.retryTimer = null;
      this.pingTimer = null;
      this.pongTimer = null;
      this.connectTimer = null;
      this.nextId = 1;
      this.onOnline = () => {
        if (!this.socket && !this.stopped) this.retryNow();
      };
      window.addEventListener("online", this.onOnline);
    }

    start() {
      this.open();
    }

    stop() {
      this.stopped = true;
      window.removeEventListener("online", this.onOnline);
      clearTimeout(this.retryTimer);
      this.clearHeartbeat();
      if (this.socket) {
        const socket = this.socket;
        this.socket = null;
        socket.close(1000, "Normal Closure");
      }
    }

    retryNow() {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.open();
    }

    open() {
      if (this.stopped) return;
      this.handlers.state(this.attempt === 0 ? "connecting" : "reconnecting");
      const socket = new WebSocket(this.url, "graphql-transport-ws");
      this.socket = socket;
      const subscriptionId = String(this.nextId++);
      // A handshake that hangs (the network is gone without a reset) is given up too.
      this.connectTimer = setTimeout(() => {
        if (socket !== this.socket) return;
        this.socket = null;
        this.clearHeartbeat();
        socket.close(4000, "Connection timeout");
        this.scheduleRetry();
      }, CONNECT_TIMEOUT_MS);
      socket.addEventListener("open", () => {
        socket.send(
          JSON.stringify({
            type: "connection_init",
            payload: { authorization: `Bearer ${this.token}` },
          }),
        );
      });
      socket.addEventListener("message", (message) => {
        if (socket !== this.socket) return;
        let frame;
        try {
          frame = JSON.parse(message.data);
        } catch (error) {
          socket.close(4400, "Invalid message");
          return;
        }
        this.receive(socket, subscriptionId, frame);
      });
      socket.addEventListener("close", (event) => {
        if (socket !== this.socket) return;
        this.socket = null;
        this.clearHeartbeat();
        if (this.stopped) return;
        if (event.code === 4403 || event.code === 4401) {
          this.stopped = true;
          this.handlers.rejected("The server refused the token. Sign in again.");
          return;
        }
        this.scheduleRetry();
      });
    }

    receive(socket, subscriptionId, frame) {
      this.alive();
      switch (frame.type) {
        case "connection_ack":
          clearTimeout(this.connectTimer);
          this.connectTimer = null;
          this.ackedAt = Date.now();
          socket.send(
            JSON.stringify({
              id: subscriptionId,
              type: "subscribe",
              payload: { query: this.query, variables: this.handlers.variables() },
            }),
          );
          this.startHeartbeat(socket);
          this.handlers.state("live");
          this.handlers.acknowledged();
          break;
        case "next": {
          if (frame.id !== subscriptionId) break;
          const payload = frame.payload || {};
          if (payload.data && payload.data.repairRequestBoard) this.handlers.next(payload.data);
          if (payload.errors && payload.errors.length) this.refused(socket, payload.errors[0]);
          break;
        }
        case "error": {
          if (frame.id !== subscriptionId) break;
          const errors = Array.isArray(frame.payload) ? frame.payload : [];
          this.refused(socket, errors[0] || {});
          break;
        }
        case "complete":
          // The server ended the stream (e.g. it is shutting down): come back later.
          if (frame.id !== subscriptionId) break;
          this.socket = null;
          this.clearHeartbeat();
          socket.close(1000, "Normal Closure");
          this.scheduleRetry();
          break;
        case "ping":
          socket.send(JSON.stringify({ type: "pong" }));
          break;
        default:
          break;
      }
    }

    // The stream ended with an error: an expired token signs out, a refusal (no longer
    // staff there, a bad argument) stops, anything else is retried like a drop.
    refused(socket, error) {
      const code = (error.extensions && error.extensions.code) || "";
      const message = error.message || "The board subscription was refused.";
      this.socket = null;
      this.clearHeartbeat();
      socket.close(1000, "Normal Closure");
      if (code === "UNAUTHENTICATED") {
        this.stopped = true;
        this.handlers.rejected(message);
      } else if (code === "FORBIDDEN" || code === "BAD_USER_INPUT" || !code) {
        this.stopped = true;
        this.handlers.failed(message);
      } else {
        this.scheduleRetry();
      }
    }

    // A ping every few seconds; a connection that does not answer in time is treated as
    // dropped (a half-open TCP connection after a network change never reports a close).
    startHeartbeat(socket) {
      this.clearHeartbeat();
      this.pingTimer = setInterval(() => {
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(JSON.stringify({ type: "ping" }));
        if (!this.pongTimer) {
          this.pongTimer = setTimeout(() => {
            if (socket !== this.socket) return;
            this.socket = null;
            this.clearHeartbeat();
            socket.close(4000, "No pong");
            this.scheduleRetry();
          }, PONG_TIMEOUT_MS);
        }
      }, PING_EVERY_MS);
    }

    alive() {
      clearTimeout(this.pongTimer);
      this.pongTimer = null;
    }

    clearHeartbeat() {
      clearInterval(this.pingTimer);
      clearTimeout(this.pongTimer);
      clearTimeout(this.connectTimer);
      this.pingTimer = null;
      this.pongTimer = null;
      this.connectTimer = null;
    }

    scheduleRetry() {
      if (this.stopped) return;
      // Backoff grows across connections that fail soon after opening (a server that
      // accepts and drops at once is not hammered), and resets after a stable one.
      if (this.ackedAt && Date.now() - this.ackedAt > STABLE_AFTER_MS) this.attempt = 0;
      this.ackedAt = 0;
      const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      this.attempt += 1;
      this.handlers.state("reconnecting", delay);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.retryNow(), delay);
    }
  }

  // -- the board --------------------------------------------------------------------------

  class Board {
    constructor(root) {
      this.root = root;
      this.cards = new Map(); // request id -> the request as last seen
      this.gone = new Map(); // request id -> version at which it left the board
      this.nodes = new Map(); // request id -> its rendered card
      this.loaded = false; // after the first load, new cards are highlighted
      this.columns = new Map();
      for (const status of OPEN_STATUSES) {
        const count = el("span", { className: "count", "data-role": "count" }, "0");
        const overdue = el("span", { className: "overdue-count", "data-role": "overdue" });
        const list = el("ol", { className: "cards", "aria-label": STATUS_LABELS[status] });
        const empty = el("li", { className: "empty" }, "No requests");
        list.append(empty);
        const column = el(
          "section",
          { className: "column", "data-status": status },
          el("header", {}, el("h2", {}, STATUS_LABELS[status]), overdue, count),
          list,
        );
        this.columns.set(status, { column, count, overdue, list, empty });
        root.append(column);
      }
    }

    clear() {
      this.cards.clear();
      this.gone.clear();
      this.nodes.clear();
      this.loaded = false;
      this.render();
    }

    // Applies the request's current state unless a newer version was already shown.
    // Returns whether anything changed.
    apply(request) {
      if (!request || !request.id) return false;
      const known = this.cards.get(request.id);
      const seen = known ? known.version : this.gone.get(request.id);
      if (seen !== undefined && seen >= request.version) return false;
      if (OPEN_STATUSES.includes(request.status)) {
        this.cards.set(request.id, request);
        this.gone.delete(request.id);
        return true;
      }
      // Left the board (closed, rejected, cancelled): remember the version, so a late
      // replay of an older state cannot bring the card back.
      this.gone.set(request.id, request.version);
      if (!known) return false;
      this.cards.delete(request.id);
      this.nodes.delete(request.id);
      return true;
    }

    isOverdue(request, now) {
      if (request.isOverdue) return true;
      if (!request.dueAt || !DUE_STATUSES.has(request.status)) return false;
      return new Date(request.dueAt).getTime() < now;
    }

    render() {
      const now = Date.now();
      const byStatus = new Map(OPEN_STATUSES.map((status) => [status, []]));
      for (const request of this.cards.values()) byStatus.get(request.status).push(request);
      let overdueTotal = 0;
      for (const [status, requests] of byStatus) {
        const parts = this.columns.get(status);
        requests.sort((a, b) => this.compare(a, b, now));
        const overdue = requests.filter((request) => this.isOverdue(request, now)).length;
        overdueTotal += overdue;
        parts.count.textContent = String(requests.length);
        parts.overdue.textContent = overdue ? `${overdue} overdue` : "";
        parts.column.dataset.count = String(requests.length);
        const cards = requests.map((request) => this.node(request, now));
        parts.list.replaceChildren(...(cards.length ? cards : [parts.empty]));
      }
      $("total-count").textContent = String(this.cards.size);
      $("overdue-total").textContent = String(overdueTotal);
      $("overdue-summary").dataset.overdue = overdueTotal ? "yes" : "no";
    }

    // Cards are rebuilt only when their request or overdue state changed, so a live
    // update animates the card that moved and nothing else.
    node(request, now) {
      const key = `${request.version}|${this.isOverdue(request, now)}|${request.status}`;
      const cached = this.nodes.get(request.id);
      if (cached && cached.key === key) return cached.node;
      const node = this.card(request, now);
      this.nodes.set(request.id, { key, node });
      return node;
    }

    compare(a, b, now) {
      const overdue = Number(this.isOverdue(b, now)) - Number(this.isOverdue(a, now));
      if (overdue) return overdue;
      const dueA = a.dueAt ? new Date(a.dueAt).getTime() : Infinity;
      const dueB = b.dueAt ? new Date(b.dueAt).getTime() : Infinity;
      if (dueA !== dueB) return dueA < dueB ? -1 : 1;
      return b.number - a.number;
    }

    card(request, now) {
      const overdue = this.isOverdue(request, now);
      const place = [request.building && request.building.address];
      if (request.premise) place.push(`apt.\u00a0${request.premise.number}`);
      else if (PLACE_LABELS[request.scope]) place.push(PLACE_LABELS[request.scope]);
      const badges = el("span", { className: "badges" });
      if (overdue) badges.append(el("span", { className: "badge badge-overdue" }, "Overdue"));
      if (request.followerCount > 0) {
        badges.append(
          el(
            "span",
            { className: "badge badge-joined", title: "Neighbours who joined (“me too”)" },
            `+${request.followerCount} joined`,
          ),
        );
      }
      const due = request.dueAt
        ? el("span", { className: "due" }, `Due ${formatTime(request.dueAt)}`)
        : el("span", { className: "created" }, `Filed ${formatTime(request.createdAt)}`);
      return el(
        "li",
        {
          className: `card${overdue ? " is-overdue" : ""}${this.loaded ? " is-fresh" : ""}`,
          "data-request-id": request.id,
          "data-version": request.version,
          "data-number": request.number,
        },
        el(
          "div",
          { className: "card-head" },
          el("span", { className: "number" }, `№ ${request.number}`),
          el("span", { className: "category" }, humanise(request.category)),
          badges,
        ),
        el("p", { className: "description" }, request.description || ""),
        el("div", { className: "place" }, place.filter(Boolean).join(", ")),
        el(
          "div",
          { className: "card-foot" },
          due,
          el(
            "span",
            { className: request.assignee ? "assignee" : "assignee unassigned" },
            request.assignee ? request.assignee.displayName : "Unassigned",
          ),
        ),
      );
    }
  }

  // -- the page ---------------------------------------------------------------------------

  class Dashboard {
    constructor() {
      this.token = null;
      this.scopes = [];
      this.scope = null;
      this.cursor = null;
      this.live = null;
      this.loadGeneration = 0;
      this.board = new Board($("columns"));
      this.connectionText = $("connection-text");
      setInterval(() => this.board.render(), 30000); // due times pass without events
    }

    start() {
      const loginUrl = document.querySelector('meta[name="edom-login-url"]').content;
      if (loginUrl) {
        const link = $("login-link");
        link.href = loginUrl;
        link.hidden = false;
      }
      $("sign-in-form").addEventListener("submit", (event) => {
        event.preventDefault();
        const token = $("token").value.trim().replace(/^Bearer\s+/i, "");
        if (token) this.signIn(token);
      });
      $("sign-out").addEventListener("click", () => this.signOut());
      $("scope").addEventListener("change", (event) => this.choose(event.target.value));
      window.addEventListener("hashchange", () => this.takeHandedOverToken());
      if (this.takeHandedOverToken()) return;
      const saved = sessionStorage.getItem(TOKEN_KEY);
      if (saved) this.signIn(saved);
      else this.showSignIn();
    }

    // A login redirect may hand the token over in the fragment (never sent to servers);
    // it is taken out of the address at once.
    takeHandedOverToken() {
      const fragment = new URLSearchParams(window.location.hash.slice(1));
      const token = fragment.get("access_token");
      if (!token) return false;
      history.replaceState(null, "", window.location.pathname + window.location.search);
      if (this.live) this.live.stop();
      this.live = null;
      this.signIn(token);
      return true;
    }

    showSignIn(message) {
      this.setConnection("offline", "Signed out");
      $("sign-in").hidden = false;
      $("board").hidden = true;
      $("sign-out").hidden = true;
      $("scope-picker").hidden = true;
      $("viewer-name").textContent = "";
      $("sign-in-error").textContent = message || "";
      $("token").value = "";
    }

    signOut(message) {
      if (this.live) this.live.stop();
      this.live = null;
      this.token = null;
      this.loadGeneration += 1;
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(SCOPE_KEY);
      this.board.clear();
      this.showSignIn(message);
    }

    async signIn(token) {
      $("sign-in-error").textContent = "";
      this.setConnection("connecting", "Signing in…");
      let data;
      try {
        data = await graphql(token, VIEWER_QUERY, {});
      } catch (error) {
        if (error.code === "UNAUTHENTICATED") {
          this.signOut("The server refused the token. Paste a fresh one.");
        } else {
          this.showSignIn(error.message);
        }
        return;
      }
      const viewer = data.viewer;
      const organisations = new Map();
      for (const membership of viewer.staffMemberships) {
        const known = organisations.get(membership.organisation.id);
        if (known) known.roles.push(humanise(membership.role));
        else {
          organisations.set(membership.organisation.id, {
            organisation: membership.organisation,
            roles: [humanise(membership.role)],
          });
        }
      }
      if (!organisations.size) {
        this.signOut("This account is not on the staff of a management organisation.");
        return;
      }
      this.token = token;
      sessionStorage.setItem(TOKEN_KEY, token);
      this.scopes = [];
      for (const { organisation, roles } of organisations.values()) {
        this.scopes.push({
          key: `organisation:${organisation.id}`,
          label: `${organisation.name} (${roles.join(", ")})`,
          title: organisation.name,
          organisationId: organisation.id,
          buildingId: null,
        });
      }
      for (const { node } of viewer.buildings.edges) {
        if (!organisations.has(node.managementOrganisation.id)) continue;
        this.scopes.push({
          key: `building:${node.id}`,
          label: node.address,
          title: node.address,
          organisationId: node.managementOrganisation.id,
          buildingId: node.id,
        });
      }
      this.renderScopes();
      $("viewer-name").textContent = viewer.user.displayName;
      $("sign-in").hidden = true;
      $("board").hidden = false;
      $("sign-out").hidden = false;
      $("scope-picker").hidden = false;
      const saved = sessionStorage.getItem(SCOPE_KEY);
      const chosen = this.scopes.find((scope) => scope.key === saved) || this.scopes[0];
      this.choose(chosen.key);
    }

    renderScopes() {
      const organisations = el("optgroup", { label: "Organisations" });
      const buildings = el("optgroup", { label: "Buildings" });
      for (const scope of this.scopes) {
        (scope.buildingId ? buildings : organisations).append(
          el("option", { value: scope.key }, scope.label),
        );
      }
      const select = $("scope");
      select.replaceChildren(organisations, ...(buildings.children.length ? [buildings] : []));
    }

    async choose(key) {
      const scope = this.scopes.find((candidate) => candidate.key === key);
      if (!scope) return;
      this.scope = scope;
      $("scope").value = key;
      sessionStorage.setItem(SCOPE_KEY, key);
      $("board-title").textContent = scope.title;
      if (this.live) this.live.stop();
      this.live = null;
      const generation = ++this.loadGeneration;
      this.board.clear();
      this.setConnection("connecting", "Loading…");
      try {
        await this.load(scope, generation);
      } catch (error) {
        if (generation !== this.loadGeneration) return;
        if (error.code === "UNAUTHENTICATED") {
          this.signOut("The server refused the token. Paste a fresh one.");
        } else if (error.code === "NETWORK") {
          this.setConnection("reconnecting", `${error.message} Retrying…`);
          setTimeout(() => {
            if (generation === this.loadGeneration) this.choose(key);
          }, RELOAD_AFTER_MS);
        } else {
          this.setConnection("error", error.message);
        }
        return;
      }
      if (generation !== this.loadGeneration) return;
      this.subscribe(scope);
    }

    // The cursor first, then the desk: whatever changes in between is replayed by the
    // subscription (and applied once, by version).
    async load(scope, generation) {
      const data = await graphql(this.token, CURSOR_QUERY, { id: scope.organisationId });
      if (generation !== this.loadGeneration) return;
      this.cursor = (data.node && data.node.repairBoardCursor) || null;
      await this.loadDesk(scope, generation);
    }

    async loadDesk(scope, generation) {
      const filter = { statuses: OPEN_STATUSES };
      if (scope.buildingId) filter.buildingIds = [scope.buildingId];
      let after = null;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const data = await graphql(this.token, DESK_QUERY, {
          organisationId: scope.organisationId,
          after,
          filter,
        });
        if (generation !== this.loadGeneration) return;
        const desk = data.repairRequestDesk;
        for (const edge of desk.edges) this.board.apply(edge.node);
        this.board.render();
        if (!desk.pageInfo.hasNextPage) break;
        after = desk.pageInfo.endCursor;
      }
      this.board.loaded = true;
    }

    subscribe(scope) {
      const protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
      const url = `${protocol}//${window.location.host}/graphql`;
      const startedWithoutCursor = this.cursor === null;
      this.live = new LiveSubscription(url, this.token, BOARD_SUBSCRIPTION, {
        variables: () => {
          const variables = scope.buildingId
            ? { buildingId: scope.buildingId }
            : { organisationId: scope.organisationId };
          if (this.cursor) variables.after = this.cursor;
          return variables;
        },
        acknowledged: () => {
          // Without a cursor (no board event yet) the stream starts at subscription time:
          // read the desk once more so nothing in between is missed.
          if (startedWithoutCursor && this.cursor === null) this.refreshDesk(scope);
        },
        next: (data) => {
          const event = data.repairRequestBoard;
          if (!event) return;
          if (event.cursor) this.cursor = event.cursor;
          if (this.board.apply(event.request)) this.board.render();
        },
        state: (state, delay) => {
          if (state === "live") this.setConnection("live", "Live");
          else if (state === "connecting") this.setConnection("connecting", "Connecting…");
          else {
            const seconds = delay ? ` in ${Math.max(1, Math.round(delay / 1000))} s` : "…";
            this.setConnection("reconnecting", `Connection lost, reconnecting${seconds}`);
          }
        },
        failed: (message) => this.setConnection("error", message),
        rejected: (message) => this.signOut(message),
      });
      this.live.start();
    }

    async refreshDesk(scope) {
      try {
        await this.loadDesk(scope, this.loadGeneration);
      } catch (error) {
        // The live stream keeps the board current; a failed extra read is not fatal.
      }
    }

    setConnection(state, text) {
      const badge = $("connection");
      badge.dataset.state = state;
      this.connectionText.textContent = text;
    }
  }

  document.addEventListener("DOMContentLoaded", () => new Dashboard().start());
})();
