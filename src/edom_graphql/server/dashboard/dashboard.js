// The live repair desk: open repair requests of an organisation (or one building) as
// columns by status, kept current over the repairRequestBoard subscription.
//
// Loading without a gap: read the organisation's repairBoardCursor first, then the desk,
// then subscribe with `after` = that cursor; events replay from there. Every event carries
// the request as it is now and its `version`; a card is replaced only by a newer or equal
// version, so replays and reconnects never move a card back or show it twice.
//
// Filters (building, category, overdue, engineer) narrow the desk read through its own
// filter arguments and the live events alike, and are kept in the address's query.
//
// No data is ever parsed as HTML: every text goes through textContent.
"use strict";

(() => {
  const OPEN_STATUSES = ["NEW", "ACCEPTED", "IN_PROGRESS", "DEFERRED", "DONE", "REOPENED"];
  const CATEGORIES = [
    "LEAK",
    "BLOCKAGE",
    "EMERGENCY_DAMAGE",
    "PLUMBING",
    "HEATING",
    "ELECTRICITY",
    "LIFT",
    "ROOF",
    "ENTRANCE",
    "INTERCOM",
    "CLEANING",
    "YARD_UPKEEP",
    "OTHER",
  ];
  // The board's filters, as named in the address (`?building=…&category=LEAK&overdue=yes`).
  const FILTER_NAMES = ["building", "category", "overdue", "assignee"];
  const OVERDUE_CHOICES = ["yes", "no"];
  // Every text of the page, in Russian (the default) and English. A function takes the
  // values it is given; a key missing in a language falls back to English.
  const MESSAGES = {
    ru: {
      title: "Диспетчерская · edom",
      product: "Диспетчерская",
      board: "Доска",
      notConnected: "Нет связи",
      signOut: "Выйти",
      signInTitle: "Вход в диспетчерскую",
      signInText:
        "Вставьте токен доступа диспетчера, инженера или управляющего управляющей " +
        "организации. Он хранится только в этой вкладке и забывается при её закрытии.",
      tokenLabel: "Токен доступа",
      openBoard: "Открыть доску",
      loginLink: "Войти через учётную запись организации",
      open: "Открыто",
      overdueTotal: "Просрочено",
      language: "English",
      languageTitle: "Switch to English",
      "status.NEW": "Новые",
      "status.ACCEPTED": "Приняты",
      "status.IN_PROGRESS": "В работе",
      "status.DEFERRED": "Отложены",
      "status.DONE": "Выполнены",
      "status.REOPENED": "Открыты повторно",
      "status.CLOSED": "Закрыта",
      "status.REJECTED": "Отклонена",
      "status.CANCELLED": "Отменена",
      // one request (the columns above name groups of them)
      "state.NEW": "Новая",
      "state.ACCEPTED": "Принята",
      "state.IN_PROGRESS": "В работе",
      "state.DEFERRED": "Отложена",
      "state.DONE": "Выполнена",
      "state.REOPENED": "Открыта повторно",
      "role.DISPATCHER": "диспетчер",
      "role.ENGINEER": "инженер",
      "role.MANAGER": "управляющий",
      "category.LEAK": "Протечка",
      "category.BLOCKAGE": "Засор",
      "category.EMERGENCY_DAMAGE": "Аварийное повреждение",
      "category.PLUMBING": "Сантехника",
      "category.HEATING": "Отопление",
      "category.ELECTRICITY": "Электричество",
      "category.LIFT": "Лифт",
      "category.ROOF": "Кровля",
      "category.ENTRANCE": "Подъезд",
      "category.INTERCOM": "Домофон",
      "category.CLEANING": "Уборка",
      "category.YARD_UPKEEP": "Благоустройство двора",
      "category.OTHER": "Другое",
      noRequests: "Заявок нет",
      overdue: "Просрочена",
      overdueCount: (n) => `просрочено: ${n}`,
      joinedTitle: "Соседи, которые присоединились («у меня тоже»)",
      joined: (n) => `+${n} присоединились`,
      due: (time) => `Срок ${time}`,
      filed: (time) => `Подана ${time}`,
      unassigned: "Не назначен",
      apartment: (number) => `кв.\u00a0${number}`,
      placeBuilding: "общее имущество",
      placeYard: "двор",
      signedOut: "Вы вышли",
      signingIn: "Вход…",
      loading: "Загрузка…",
      live: "На связи",
      connecting: "Подключение…",
      reconnecting: (rest) => `Связь потеряна, переподключение${rest}`,
      inSeconds: (n) => ` через ${n} с`,
      unreachable: "Сервер недоступен.",
      retrying: (why) => `${why} Повторная попытка…`,
      serverAnswered: (status) => `Сервер ответил ${status}.`,
      tokenRefused: "Сервер не принял токен. Вставьте новый.",
      tokenRefusedAgain: "Сервер не принял токен. Войдите снова.",
      notStaff: "Эта учётная запись не входит в штат управляющей организации.",
      subscriptionRefused: "Подписка на доску отклонена.",
      organisations: "Организации",
      buildings: "Дома",
      close: "Закрыть",
      requestNumber: (n) => `Заявка № ${n}`,
      statusLabel: "Статус",
      categoryLabel: "Категория",
      placeLabel: "Где",
      authorLabel: "Подал",
      authorHidden: "скрыт",
      assigneeLabel: "Исполнитель",
      createdLabel: "Подана",
      dueLabel: "Срок",
      followersLabel: "Присоединились",
      photosLabel: "Фото",
      photo: (type, kb) => `${type}, ${kb} КБ`,
      threadTitle: "Переписка",
      noComments: "Комментариев нет",
      historyTitle: "История",
      platform: "Система",
      "event.CREATED": "подана",
      "event.STATUS_CHANGED": (from, to) => `${from} → ${to}`,
      "event.ASSIGNED": (who) => `назначен исполнитель: ${who}`,
      "event.COMMENTED": "комментарий",
      "event.JOINED": "присоединился",
      "event.RATED": (n) => `оценка ${n}`,
      noteLabel: "Комментарий или причина",
      notePlaceholder: "Текст комментария, причина отказа или что сделано",
      "action.comment": "Написать",
      "action.accept": "Принять",
      "action.start": "Начать работу",
      "action.defer": "Отложить",
      "action.complete": "Выполнено",
      "action.reject": "Отклонить",
      changedMeanwhile: "Заявка изменилась, пока вы её смотрели. Показано текущее состояние.",
      loadingCard: "Загрузка заявки…",
      notFound: "Заявка не найдена.",
      shown: "На доске",
      openTitle: "Все показанные заявки, кроме выполненных",
      filterBuilding: "Дом",
      allBuildings: "Все дома",
      filterCategory: "Категория",
      allCategories: "Все категории",
      filterOverdue: "Срок",
      overdueAny: "Любой срок",
      overdueOnly: "Только просроченные",
      overdueNot: "Без просроченных",
      filterAssignee: "Исполнитель",
      anyAssignee: "Все исполнители",
      resetFilters: "Сбросить",
      assignLabel: "Инженер",
      chooseEngineer: "— выберите инженера —",
      noEngineers: "В организации нет инженеров",
      engineerRequired: "Выберите инженера, которому назначить заявку.",
      "action.assign": "Назначить",
    },
    en: {
      title: "Repair desk · edom",
      product: "Repair desk",
      board: "Board",
      notConnected: "Not connected",
      signOut: "Sign out",
      signInTitle: "Sign in to the repair desk",
      signInText:
        "Paste the access token of a dispatcher, engineer or manager of a management " +
        "organisation. It is kept in this browser tab only and forgotten when the tab closes.",
      tokenLabel: "Access token",
      openBoard: "Open the board",
      loginLink: "Sign in with your organisation account",
      open: "Open",
      overdueTotal: "Overdue",
      language: "Русский",
      languageTitle: "Переключить на русский",
      "status.NEW": "New",
      "status.ACCEPTED": "Accepted",
      "status.IN_PROGRESS": "In progress",
      "status.DEFERRED": "Deferred",
      "status.DONE": "Done",
      "status.REOPENED": "Reopened",
      "status.CLOSED": "Closed",
      "status.REJECTED": "Rejected",
      "status.CANCELLED": "Cancelled",
      "role.DISPATCHER": "Dispatcher",
      "role.ENGINEER": "Engineer",
      "role.MANAGER": "Manager",
      "category.LEAK": "Leak",
      "category.BLOCKAGE": "Blockage",
      "category.EMERGENCY_DAMAGE": "Emergency damage",
      "category.PLUMBING": "Plumbing",
      "category.HEATING": "Heating",
      "category.ELECTRICITY": "Electricity",
      "category.LIFT": "Lift",
      "category.ROOF": "Roof",
      "category.ENTRANCE": "Entrance",
      "category.INTERCOM": "Intercom",
      "category.CLEANING": "Cleaning",
      "category.YARD_UPKEEP": "Yard upkeep",
      "category.OTHER": "Other",
      noRequests: "No requests",
      overdue: "Overdue",
      overdueCount: (n) => `${n} overdue`,
      joinedTitle: "Neighbours who joined (“me too”)",
      joined: (n) => `+${n} joined`,
      due: (time) => `Due ${time}`,
      filed: (time) => `Filed ${time}`,
      unassigned: "Unassigned",
      apartment: (number) => `apt.\u00a0${number}`,
      placeBuilding: "common parts",
      placeYard: "yard",
      signedOut: "Signed out",
      signingIn: "Signing in…",
      loading: "Loading…",
      live: "Live",
      connecting: "Connecting…",
      reconnecting: (rest) => `Connection lost, reconnecting${rest}`,
      inSeconds: (n) => ` in ${n} s`,
      unreachable: "The server cannot be reached.",
      retrying: (why) => `${why} Retrying…`,
      serverAnswered: (status) => `The server answered ${status}.`,
      tokenRefused: "The server refused the token. Paste a fresh one.",
      tokenRefusedAgain: "The server refused the token. Sign in again.",
      notStaff: "This account is not on the staff of a management organisation.",
      subscriptionRefused: "The board subscription was refused.",
      organisations: "Organisations",
      buildings: "Buildings",
      close: "Close",
      requestNumber: (n) => `Request № ${n}`,
      statusLabel: "Status",
      categoryLabel: "Category",
      placeLabel: "Where",
      authorLabel: "Filed by",
      authorHidden: "hidden",
      assigneeLabel: "Engineer",
      createdLabel: "Filed",
      dueLabel: "Due",
      followersLabel: "Joined",
      photosLabel: "Photos",
      photo: (type, kb) => `${type}, ${kb} KB`,
      threadTitle: "Thread",
      noComments: "No comments",
      historyTitle: "History",
      platform: "Platform",
      "event.CREATED": "filed",
      "event.STATUS_CHANGED": (from, to) => `${from} → ${to}`,
      "event.ASSIGNED": (who) => `assigned to ${who}`,
      "event.COMMENTED": "comment",
      "event.JOINED": "joined",
      "event.RATED": (n) => `rated ${n}`,
      noteLabel: "Comment or reason",
      notePlaceholder: "A comment, the reason to reject, or what was done",
      "action.comment": "Comment",
      "action.accept": "Accept",
      "action.start": "Start work",
      "action.defer": "Defer",
      "action.complete": "Done",
      "action.reject": "Reject",
      changedMeanwhile: "The request changed meanwhile. It is shown as it is now.",
      loadingCard: "Loading the request…",
      notFound: "The request is not found.",
      shown: "On the board",
      openTitle: "Every request shown except those done",
      filterBuilding: "Building",
      allBuildings: "All buildings",
      filterCategory: "Category",
      allCategories: "All categories",
      filterOverdue: "Due",
      overdueAny: "Any",
      overdueOnly: "Overdue only",
      overdueNot: "Not overdue",
      filterAssignee: "Engineer",
      anyAssignee: "All engineers",
      resetFilters: "Reset",
      assignLabel: "Engineer",
      chooseEngineer: "— choose an engineer —",
      noEngineers: "The organisation has no engineers",
      engineerRequired: "Choose the engineer to assign the request to.",
      "action.assign": "Assign",
    },
  };
  const LANGUAGE_KEY = "edom.dashboard.language";
  const LANGUAGES = ["ru", "en"];
  // Russian unless chosen otherwise; a browser that asks for English first gets English
  // until a language is chosen on the page.
  function initialLanguage() {
    let saved = null;
    try {
      saved = localStorage.getItem(LANGUAGE_KEY);
    } catch (error) {
      saved = null;
    }
    if (LANGUAGES.includes(saved)) return saved;
    const preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "";
    return preferred.toLowerCase().startsWith("en") ? "en" : "ru";
  }
  const LANGUAGE = initialLanguage();
  const LOCALE = LANGUAGE === "ru" ? "ru-RU" : "en-GB";

  function t(key, ...values) {
    let message = MESSAGES[LANGUAGE][key];
    if (message === undefined) message = MESSAGES.en[key];
    if (message === undefined) return key;
    return typeof message === "function" ? message(...values) : message;
  }

  function stateLabel(status) {
    return MESSAGES[LANGUAGE][`state.${status}`] || t(`status.${status}`);
  }

  function categoryLabel(category) {
    const key = `category.${category}`;
    return MESSAGES[LANGUAGE][key] || humanise(category);
  }
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
      assignee { id displayName }
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
  const ENGINEERS_QUERY = `
    query DashboardEngineers($id: ID!, $after: String) {
      node(id: $id) {
        ... on ManagementOrganisation {
          engineers(first: ${PAGE_SIZE}, after: $after) {
            nodes { id displayName }
            pageInfo { hasNextPage endCursor }
          }
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

  const timeFormat = new Intl.DateTimeFormat(LOCALE, {
    timeZone: "Europe/Moscow",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const PLACE_LABELS = { BUILDING: "placeBuilding", YARD: "placeYard" };

  const fullTimeFormat = new Intl.DateTimeFormat(LOCALE, {
    timeZone: "Europe/Moscow",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });

  function formatFullTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : fullTimeFormat.format(date);
  }

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
      throw new GraphQLError(t("unreachable"), "NETWORK");
    }
    let body;
    try {
      body = await response.json();
    } catch (error) {
      throw new GraphQLError(t("serverAnswered", response.status), "NETWORK");
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
          this.handlers.rejected(t("tokenRefusedAgain"));
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
      const message = error.message || t("subscriptionRefused");
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
      this.filters = {}; // what the board shows: see FILTER_NAMES
      this.columns = new Map();
      for (const status of OPEN_STATUSES) {
        const count = el("span", { className: "count", "data-role": "count" }, "0");
        const overdue = el("span", { className: "overdue-count", "data-role": "overdue" });
        const list = el("ol", { className: "cards", "aria-label": t(`status.${status}`) });
        const empty = el("li", { className: "empty" }, t("noRequests"));
        list.append(empty);
        const column = el(
          "section",
          { className: "column", "data-status": status },
          el("header", {}, el("h2", {}, t(`status.${status}`)), overdue, count),
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
      if (OPEN_STATUSES.includes(request.status) && this.matches(request, Date.now())) {
        this.cards.set(request.id, request);
        this.gone.delete(request.id);
        return true;
      }
      // Left the board (closed, rejected, cancelled, or no longer what the filters ask
      // for): remember the version, so a late replay of an older state cannot bring the
      // card back.
      this.gone.set(request.id, request.version);
      if (!known) return false;
      this.cards.delete(request.id);
      this.nodes.delete(request.id);
      return true;
    }

    // Whether the request is one the filters let through (the desk was read with the
    // same filters; live events are checked here).
    matches(request, now) {
      const filters = this.filters;
      if (filters.building && !(request.building && request.building.id === filters.building)) {
        return false;
      }
      if (filters.category && request.category !== filters.category) return false;
      if (filters.assignee && !(request.assignee && request.assignee.id === filters.assignee)) {
        return false;
      }
      if (filters.overdue && this.isOverdue(request, now) !== (filters.overdue === "yes")) {
        return false;
      }
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
      for (const request of this.cards.values()) {
        // Due times pass: an overdue filter is checked again at every render.
        if (this.matches(request, now)) byStatus.get(request.status).push(request);
      }
      let overdueTotal = 0;
      let shown = 0;
      let open = 0;
      for (const [status, requests] of byStatus) {
        const parts = this.columns.get(status);
        requests.sort((a, b) => this.compare(a, b, now));
        const overdue = requests.filter((request) => this.isOverdue(request, now)).length;
        overdueTotal += overdue;
        shown += requests.length;
        if (status !== "DONE") open += requests.length;
        parts.count.textContent = String(requests.length);
        parts.overdue.textContent = overdue ? t("overdueCount", overdue) : "";
        parts.column.dataset.count = String(requests.length);
        const cards = requests.map((request) => this.node(request, now));
        parts.list.replaceChildren(...(cards.length ? cards : [parts.empty]));
      }
      $("shown-count").textContent = String(shown);
      $("total-count").textContent = String(open);
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
      if (request.premise) place.push(t("apartment", request.premise.number));
      else if (PLACE_LABELS[request.scope]) place.push(t(PLACE_LABELS[request.scope]));
      const badges = el("span", { className: "badges" });
      if (overdue) badges.append(el("span", { className: "badge badge-overdue" }, t("overdue")));
      if (request.followerCount > 0) {
        badges.append(
          el(
            "span",
            { className: "badge badge-joined", title: t("joinedTitle") },
            t("joined", request.followerCount),
          ),
        );
      }
      const due = request.dueAt
        ? el("span", { className: "due" }, t("due", formatTime(request.dueAt)))
        : el("span", { className: "created" }, t("filed", formatTime(request.createdAt)));
      return el(
        "li",
        {
          className: `card${overdue ? " is-overdue" : ""}${this.loaded ? " is-fresh" : ""}`,
          "data-request-id": request.id,
          "data-version": request.version,
          "data-number": request.number,
          tabindex: 0,
          role: "button",
        },
        el(
          "div",
          { className: "card-head" },
          el("span", { className: "number" }, `№ ${request.number}`),
          el("span", { className: "category" }, categoryLabel(request.category)),
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
            request.assignee ? request.assignee.displayName : t("unassigned"),
          ),
        ),
      );
    }
  }

  // -- one request, opened from the board ---------------------------------------------------

  const REQUEST_QUERY = `
    query DashboardRequest($id: ID!) {
      node(id: $id) {
        ... on RepairRequest {
          id number status version category scope description
          createdAt updatedAt dueAt isOverdue followerCount
          building { id address }
          premise { number }
          author { displayName }
          assignee { id displayName }
          photos { contentType sizeBytes url }
          comments(first: 100) { nodes { id comment at actor { displayName } } }
          history(first: 100) {
            nodes { id kind fromStatus toStatus rating comment at
                    actor { displayName } assignee { displayName } }
          }
        }
      }
    }`;
  // What the desk may do in each status (the server has the last word).
  const ACTIONS = {
    NEW: ["accept", "reject"],
    ACCEPTED: ["start", "defer", "reject"],
    IN_PROGRESS: ["complete", "defer"],
    DEFERRED: ["start"],
    REOPENED: ["start", "defer"],
  };
  // Where an engineer may be assigned (or another one instead).
  const ASSIGN_STATUSES = new Set(["ACCEPTED", "IN_PROGRESS", "DEFERRED", "REOPENED"]);
  const MUTATIONS = {
    comment: { field: "repairRequestComment", input: "RepairRequestCommentInput", note: "comment" },
    accept: { field: "repairRequestAccept", input: "RepairRequestAcceptInput", note: "comment" },
    start: { field: "repairRequestStart", input: "RepairRequestStartInput", note: "comment" },
    defer: { field: "repairRequestDefer", input: "RepairRequestDeferInput", note: "comment" },
    assign: { field: "repairRequestAssign", input: "RepairRequestAssignInput", note: "comment" },
    complete: {
      field: "repairRequestComplete",
      input: "RepairRequestCompleteInput",
      note: "comment",
      required: true,
    },
    reject: {
      field: "repairRequestReject",
      input: "RepairRequestRejectInput",
      note: "reason",
      required: true,
    },
  };

  function mutationText(action) {
    const { field, input } = MUTATIONS[action];
    return `
      mutation DashboardAct($input: ${input}!) {
        ${field}(input: $input) {
          repairRequest { id status version }
          userErrors { code message field }
        }
      }`;
  }

  class RequestCard {
    constructor(dashboard) {
      this.dashboard = dashboard;
      this.root = $("request-card");
      this.request = null;
      this.requestId = null;
      this.generation = 0;
      this.busy = false;
      $("request-card-close").addEventListener("click", () => this.close());
      $("request-card-form").addEventListener("submit", (event) => event.preventDefault());
      $("request-card-assign-button").addEventListener("click", () => this.act("assign"));
      document.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && !this.root.hidden) this.close();
      });
    }

    async open(requestId) {
      this.requestId = requestId;
      this.request = null;
      this.root.hidden = false;
      this.root.dataset.requestId = requestId;
      $("request-card-note").value = "";
      this.notice("");
      this.errors([]);
      $("request-card-title").textContent = t("loadingCard");
      $("request-card-body").replaceChildren();
      $("request-card-buttons").replaceChildren();
      $("request-card-assign").hidden = true;
      await this.reload();
    }

    close() {
      this.generation += 1;
      this.requestId = null;
      this.request = null;
      this.root.hidden = true;
      delete this.root.dataset.requestId;
      delete this.root.dataset.version;
    }

    async reload() {
      const generation = ++this.generation;
      let data;
      try {
        data = await graphql(this.dashboard.token, REQUEST_QUERY, { id: this.requestId });
      } catch (error) {
        if (generation !== this.generation) return;
        this.errors([{ message: error.message, code: error.code }]);
        return;
      }
      if (generation !== this.generation) return;
      const request = data.node;
      if (!request || !request.id) {
        $("request-card-title").textContent = t("notFound");
        return;
      }
      this.request = request;
      this.render();
      // The board shows the same request as it is now.
      if (this.dashboard.board.apply(request)) this.dashboard.board.render();
    }

    notice(text) {
      const notice = $("request-card-notice");
      notice.textContent = text;
      notice.hidden = !text;
    }

    errors(list) {
      $("request-card-errors").replaceChildren(
        ...list.map((error) =>
          el("li", { className: "user-error", "data-code": error.code || "" }, error.message),
        ),
      );
    }

    render() {
      const request = this.request;
      this.root.dataset.version = String(request.version);
      this.root.dataset.status = request.status;
      $("request-card-title").textContent = t("requestNumber", request.number);
      const place = [request.building && request.building.address];
      if (request.premise) place.push(t("apartment", request.premise.number));
      else if (PLACE_LABELS[request.scope]) place.push(t(PLACE_LABELS[request.scope]));
      const facts = el("dl", { className: "facts" });
      const fact = (label, value, role) =>
        facts.append(el("div", { "data-role": role }, el("dt", {}, label), el("dd", {}, value)));
      fact(t("statusLabel"), stateLabel(request.status), "status");
      fact(t("categoryLabel"), categoryLabel(request.category), "category");
      fact(t("placeLabel"), place.filter(Boolean).join(", "), "place");
      fact(
        t("authorLabel"),
        request.author ? request.author.displayName : t("authorHidden"),
        "author",
      );
      fact(
        t("assigneeLabel"),
        request.assignee ? request.assignee.displayName : t("unassigned"),
        "assignee",
      );
      fact(t("createdLabel"), formatFullTime(request.createdAt), "created");
      if (request.dueAt) fact(t("dueLabel"), formatFullTime(request.dueAt), "due");
      if (request.followerCount) fact(t("followersLabel"), String(request.followerCount), "joined");
      if (request.photos.length) {
        fact(
          t("photosLabel"),
          request.photos
            .map((photo) => t("photo", photo.contentType, Math.ceil(photo.sizeBytes / 1024)))
            .join("; "),
          "photos",
        );
      }
      const comments = request.comments.nodes;
      const thread = el(
        "ol",
        { className: "thread", id: "request-card-thread" },
        ...comments.map((event) =>
          el(
            "li",
            { className: "comment", "data-event-id": event.id },
            el(
              "div",
              { className: "meta" },
              el("span", { className: "who" }, event.actor ? event.actor.displayName : t("platform")),
              el("time", { datetime: event.at }, formatFullTime(event.at)),
            ),
            el("p", { className: "text" }, event.comment || ""),
          ),
        ),
      );
      if (!comments.length) thread.append(el("li", { className: "empty" }, t("noComments")));
      const history = el(
        "ol",
        { className: "history", id: "request-card-history" },
        ...request.history.nodes.map((event) => this.historyItem(event)),
      );
      $("request-card-body").replaceChildren(
        el("p", { className: "description" }, request.description || ""),
        facts,
        el("h3", {}, t("threadTitle")),
        thread,
        el("h3", {}, t("historyTitle")),
        history,
      );
      const buttons = ["comment", ...(ACTIONS[request.status] || [])].map((action) => {
        const button = el(
          "button",
          {
            type: "button",
            className: action === "reject" ? "danger" : action === "comment" ? "secondary" : null,
            "data-action": action,
          },
          t(`action.${action}`),
        );
        button.addEventListener("click", () => this.act(action));
        return button;
      });
      $("request-card-buttons").replaceChildren(...buttons);
      this.renderAssign(request);
    }

    // The engineers of the organisation to choose from, the current one selected.
    renderAssign(request) {
      const row = $("request-card-assign");
      row.hidden = !ASSIGN_STATUSES.has(request.status);
      if (row.hidden) return;
      const select = $("request-card-assignee");
      const engineers = this.dashboard.engineers;
      const current = request.assignee ? request.assignee.id : "";
      const options = engineers.map((engineer) =>
        el("option", { value: engineer.id }, engineer.displayName),
      );
      if (!engineers.some((engineer) => engineer.id === current)) {
        const placeholder = engineers.length ? t("chooseEngineer") : t("noEngineers");
        options.unshift(el("option", { value: "" }, placeholder));
      }
      select.replaceChildren(...options);
      select.value = engineers.some((engineer) => engineer.id === current) ? current : "";
    }

    historyItem(event) {
      let what;
      if (event.kind === "STATUS_CHANGED") {
        what = t(
          "event.STATUS_CHANGED",
          stateLabel(event.fromStatus),
          stateLabel(event.toStatus),
        );
      } else if (event.kind === "ASSIGNED") {
        what = t("event.ASSIGNED", event.assignee ? event.assignee.displayName : "—");
      } else if (event.kind === "RATED") {
        what = t("event.RATED", event.rating);
      } else {
        what = t(`event.${event.kind}`);
      }
      return el(
        "li",
        { className: "event", "data-kind": event.kind, "data-to-status": event.toStatus || null },
        el("time", { datetime: event.at }, formatFullTime(event.at)),
        " ",
        el("span", { className: "who" }, event.actor ? event.actor.displayName : t("platform")),
        " · ",
        el("span", { className: "what" }, what),
        event.comment && event.kind !== "COMMENTED"
          ? el("span", { className: "why" }, ` — ${event.comment}`)
          : null,
      );
    }

    async act(action) {
      if (!this.request || this.busy) return;
      const spec = MUTATIONS[action];
      const note = $("request-card-note").value.trim();
      const input = { requestId: this.request.id };
      if (action !== "comment") input.expectedVersion = this.request.version;
      if (action === "assign") {
        input.assigneeId = $("request-card-assignee").value;
        if (!input.assigneeId) {
          this.errors([{ code: "ENGINEER_REQUIRED", message: t("engineerRequired") }]);
          return;
        }
      }
      if (note || spec.required || action === "comment") input[spec.note] = note;
      const generation = this.generation;
      this.busy = true;
      this.root.dataset.busy = "yes";
      this.notice("");
      this.errors([]);
      let data;
      try {
        data = await graphql(this.dashboard.token, mutationText(action), { input });
      } catch (error) {
        this.errors([{ message: error.message, code: error.code }]);
        return;
      } finally {
        this.busy = false;
        delete this.root.dataset.busy;
      }
      if (generation !== this.generation) return;
      const payload = data[spec.field];
      const userErrors = (payload && payload.userErrors) || [];
      if (userErrors.some((error) => error.code === "VERSION_CONFLICT")) {
        await this.reload();
        this.notice(t("changedMeanwhile"));
        return;
      }
      if (userErrors.length) {
        this.errors(userErrors);
        return;
      }
      $("request-card-note").value = "";
      await this.reload();
    }
  }

  // -- the page ---------------------------------------------------------------------------

  class Dashboard {
    constructor() {
      this.token = null;
      this.scopes = []; // the viewer's organisations
      this.buildings = new Map(); // organisation id -> its buildings the viewer sees
      this.organisation = null; // the chosen scope of this.scopes
      this.scope = null; // what the board reads and follows: the organisation or a building
      this.filters = {}; // see FILTER_NAMES; kept in the address
      this.engineers = []; // the organisation's engineers, by name
      this.cursor = null;
      this.live = null;
      this.loadGeneration = 0;
      this.board = new Board($("columns"));
      this.connectionText = $("connection-text");
      this.card = new RequestCard(this);
      setInterval(() => this.board.render(), 30000); // due times pass without events
    }

    start() {
      this.translatePage();
      $("language").addEventListener("click", () => {
        try {
          localStorage.setItem(LANGUAGE_KEY, LANGUAGE === "ru" ? "en" : "ru");
        } catch (error) {
          return;
        }
        window.location.reload();
      });
      $("columns").addEventListener("click", (event) => {
        const card = event.target.closest("li.card[data-request-id]");
        if (card) this.card.open(card.dataset.requestId);
      });
      $("columns").addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        const card = event.target.closest("li.card[data-request-id]");
        if (!card) return;
        event.preventDefault();
        this.card.open(card.dataset.requestId);
      });
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
      $("scope").addEventListener("change", (event) => {
        this.filters = {};
        this.choose(event.target.value);
      });
      for (const name of FILTER_NAMES) {
        $(`filter-${name}`).addEventListener("change", () => this.filter());
      }
      $("filter-reset").addEventListener("click", () => {
        for (const name of FILTER_NAMES) $(`filter-${name}`).value = "";
        this.filter();
      });
      window.addEventListener("hashchange", () => this.takeHandedOverToken());
      if (this.takeHandedOverToken()) return;
      const saved = sessionStorage.getItem(TOKEN_KEY);
      if (saved) this.signIn(saved);
      else this.showSignIn();
    }

    // The texts written in the page itself, in the chosen language.
    translatePage() {
      document.documentElement.lang = LANGUAGE;
      document.title = t("title");
      for (const node of document.querySelectorAll("[data-i18n]")) {
        node.textContent = t(node.dataset.i18n);
      }
      for (const node of document.querySelectorAll("[data-i18n-title]")) {
        node.title = t(node.dataset.i18nTitle);
      }
      for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
        node.placeholder = t(node.dataset.i18nPlaceholder);
      }
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
      this.setConnection("offline", t("signedOut"));
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
      this.card.close();
      this.board.clear();
      this.showSignIn(message);
    }

    async signIn(token) {
      $("sign-in-error").textContent = "";
      this.setConnection("connecting", t("signingIn"));
      let data;
      try {
        data = await graphql(token, VIEWER_QUERY, {});
      } catch (error) {
        if (error.code === "UNAUTHENTICATED") {
          this.signOut(t("tokenRefused"));
        } else {
          this.showSignIn(error.message);
        }
        return;
      }
      const viewer = data.viewer;
      const organisations = new Map();
      for (const membership of viewer.staffMemberships) {
        const known = organisations.get(membership.organisation.id);
        if (known) known.roles.push(t(`role.${membership.role}`));
        else {
          organisations.set(membership.organisation.id, {
            organisation: membership.organisation,
            roles: [t(`role.${membership.role}`)],
          });
        }
      }
      if (!organisations.size) {
        this.signOut(t("notStaff"));
        return;
      }
      this.token = token;
      sessionStorage.setItem(TOKEN_KEY, token);
      this.scopes = [];
      this.buildings = new Map();
      for (const { organisation, roles } of organisations.values()) {
        this.scopes.push({
          key: `organisation:${organisation.id}`,
          label: `${organisation.name} (${roles.join(", ")})`,
          title: organisation.name,
          organisationId: organisation.id,
        });
        this.buildings.set(organisation.id, []);
      }
      for (const { node } of viewer.buildings.edges) {
        const buildings = this.buildings.get(node.managementOrganisation.id);
        if (buildings) buildings.push({ id: node.id, address: node.address });
      }
      this.renderScopes();
      $("viewer-name").textContent = viewer.user.displayName;
      $("sign-in").hidden = true;
      $("board").hidden = false;
      $("sign-out").hidden = false;
      $("scope-picker").hidden = false;
      // The address names the filters (a building among them picks its organisation);
      // the organisation is otherwise the one last chosen in this tab.
      this.filters = this.filtersFromAddress();
      let chosen = null;
      if (this.filters.building) {
        chosen = this.scopes.find((scope) =>
          this.buildings.get(scope.organisationId).some((b) => b.id === this.filters.building),
        );
      }
      const saved = sessionStorage.getItem(SCOPE_KEY);
      chosen = chosen || this.scopes.find((scope) => scope.key === saved) || this.scopes[0];
      this.choose(chosen.key);
    }

    renderScopes() {
      $("scope").replaceChildren(
        ...this.scopes.map((scope) => el("option", { value: scope.key }, scope.label)),
      );
    }

    filtersFromAddress() {
      const params = new URLSearchParams(window.location.search);
      const filters = {};
      for (const name of FILTER_NAMES) {
        const value = params.get(name);
        if (value) filters[name] = value;
      }
      return filters;
    }

    // Keeps only filters that make sense for the organisation: its buildings, its
    // engineers, known categories.
    validFilters(filters) {
      const valid = {};
      const buildings = this.buildings.get(this.organisation.organisationId) || [];
      if (buildings.some((building) => building.id === filters.building)) {
        valid.building = filters.building;
      }
      if (CATEGORIES.includes(filters.category)) valid.category = filters.category;
      if (OVERDUE_CHOICES.includes(filters.overdue)) valid.overdue = filters.overdue;
      if (this.engineers.some((engineer) => engineer.id === filters.assignee)) {
        valid.assignee = filters.assignee;
      }
      return valid;
    }

    writeAddress() {
      const params = new URLSearchParams();
      for (const name of FILTER_NAMES) {
        if (this.filters[name]) params.set(name, this.filters[name]);
      }
      const query = params.toString();
      const address = window.location.pathname + (query ? `?${query}` : "");
      history.replaceState(null, "", address);
    }

    renderFilters() {
      const option = (value, label) => el("option", { value }, label);
      const buildings = this.buildings.get(this.organisation.organisationId) || [];
      $("filter-building").replaceChildren(
        option("", t("allBuildings")),
        ...buildings.map((building) => option(building.id, building.address)),
      );
      $("filter-category").replaceChildren(
        option("", t("allCategories")),
        ...CATEGORIES.map((category) => option(category, categoryLabel(category))),
      );
      $("filter-overdue").replaceChildren(
        option("", t("overdueAny")),
        option("yes", t("overdueOnly")),
        option("no", t("overdueNot")),
      );
      $("filter-assignee").replaceChildren(
        option("", t("anyAssignee")),
        ...this.engineers.map((engineer) => option(engineer.id, engineer.displayName)),
      );
      for (const name of FILTER_NAMES) $(`filter-${name}`).value = this.filters[name] || "";
      $("filters").dataset.active = String(Object.keys(this.filters).length);
    }

    // A filter changed: the address says so and the board is read again with it.
    filter() {
      const filters = {};
      for (const name of FILTER_NAMES) {
        const value = $(`filter-${name}`).value;
        if (value) filters[name] = value;
      }
      this.filters = this.validFilters(filters);
      this.writeAddress();
      this.renderFilters();
      this.reloadBoard();
    }

    async choose(key) {
      const organisation = this.scopes.find((candidate) => candidate.key === key);
      if (!organisation) return;
      this.organisation = organisation;
      $("scope").value = key;
      sessionStorage.setItem(SCOPE_KEY, key);
      const generation = ++this.loadGeneration;
      this.engineers = [];
      try {
        this.engineers = await this.loadEngineers(organisation.organisationId);
      } catch (error) {
        // Without the list the board still works; assigning and that filter wait.
      }
      if (generation !== this.loadGeneration) return;
      this.filters = this.validFilters(this.filters);
      this.writeAddress();
      this.renderFilters();
      this.reloadBoard();
    }

    async loadEngineers(organisationId) {
      const engineers = [];
      let after = null;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const data = await graphql(this.token, ENGINEERS_QUERY, { id: organisationId, after });
        const connection = data.node && data.node.engineers;
        if (!connection) break;
        engineers.push(...connection.nodes);
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      return engineers;
    }

    // Reads the board afresh for the organisation and the filters, then follows it live.
    async reloadBoard() {
      const organisation = this.organisation;
      const building = this.filters.building
        ? this.buildings.get(organisation.organisationId).find((b) => b.id === this.filters.building)
        : null;
      const scope = {
        title: building ? building.address : organisation.title,
        organisationId: organisation.organisationId,
        buildingId: building ? building.id : null,
      };
      this.scope = scope;
      $("board-title").textContent = scope.title;
      if (this.live) this.live.stop();
      this.live = null;
      const generation = ++this.loadGeneration;
      this.board.clear();
      this.board.filters = { ...this.filters };
      this.setConnection("connecting", t("loading"));
      try {
        await this.load(scope, generation);
      } catch (error) {
        if (generation !== this.loadGeneration) return;
        if (error.code === "UNAUTHENTICATED") {
          this.signOut(t("tokenRefused"));
        } else if (error.code === "NETWORK") {
          this.setConnection("reconnecting", t("retrying", error.message));
          setTimeout(() => {
            if (generation === this.loadGeneration) this.reloadBoard();
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

    // The desk's own filter arguments narrow the read; the board checks live events
    // against the same filters.
    deskFilter(scope) {
      const filter = { statuses: OPEN_STATUSES };
      if (scope.buildingId) filter.buildingIds = [scope.buildingId];
      if (this.filters.category) filter.categories = [this.filters.category];
      if (this.filters.overdue) filter.overdue = this.filters.overdue === "yes";
      if (this.filters.assignee) filter.assigneeId = this.filters.assignee;
      return filter;
    }

    async loadDesk(scope, generation) {
      const filter = this.deskFilter(scope);
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
          if (state === "live") this.setConnection("live", t("live"));
          else if (state === "connecting") this.setConnection("connecting", t("connecting"));
          else {
            const seconds = delay ? t("inSeconds", Math.max(1, Math.round(delay / 1000))) : "…";
            this.setConnection("reconnecting", t("reconnecting", seconds));
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
