# syntax=docker/dockerfile:1
# One image for MiniBot's processes (api, worker, media worker, migrations, Asterisk config rendering),
# plus the `asterisk` target (Debian's Asterisk 22). Used by docker-compose.yml.
#   docker build -t minibot .                 # app image (default target)
#   docker build --target asterisk -t minibot-asterisk .

# ---- app dependencies: every one to generate the Prisma client (the Prisma CLI is a dev dependency), then the
# dev ones removed, so that the image has production dependencies only ----------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV npm_config_update_notifier=false
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/prune-dev-optional.mjs scripts/
COPY prisma prisma
COPY prisma.config.ts ./
RUN npm ci --include=dev && npm prune --omit=dev && node scripts/prune-dev-optional.mjs && npm cache clean --force

# ---- app ---------------------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS app
# sox: audio conversion used by the audio tools; tini: signal forwarding as PID 1.
RUN apt-get update && apt-get install -y --no-install-recommends sox tini ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production API_HOST=0.0.0.0 API_PORT=8000 AUDIOFORK_HOST=0.0.0.0 AUDIOFORK_PORT=8765
COPY --from=deps /app/node_modules node_modules
# The generated client is not in the build context (.dockerignore): it comes from the deps stage.
COPY --from=deps /app/prisma/generated prisma/generated
COPY . .
RUN mkdir -p data/recordings && chown -R node:node data
USER node
EXPOSE 8000 8765
ENTRYPOINT ["/usr/bin/tini", "--"]
# Default: the API. The compose file runs the other processes with another command.
CMD ["npx", "tsx", "api/server.ts"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.API_PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# ---- Asterisk 22 (Debian sid packages: asterisk 22.x with chan_websocket) ----------------------------------
FROM debian:sid-slim AS asterisk
RUN apt-get update && apt-get install -y --no-install-recommends asterisk asterisk-modules curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* /etc/asterisk/*
EXPOSE 5060/udp 8088
ENTRYPOINT ["asterisk", "-f", "-U", "asterisk", "-G", "asterisk"]
