# The self-hosted server (README, "Where to deploy for IMS"): the worker bundle `wrangler deploy`
# ships, on workerd, behind the server's front socket. amd64, which Function Compute requires.
#
#   npm run container                      # builds it (podman or docker), passing npm's registry settings as build secrets
#   docker run --rm -p 9000:9000 -e API_KEYS=sk-... -e IMS_TOKENS=... ims-llm-edge
#
# BASE_IMAGE is any Debian bookworm image. The default, the official Node image, brings Node; a
# bare Debian (built from Debian's packages alone) gets Node and npm from Debian for the build,
# and for the runtime the Node the lockfile pins, from the npm registry's `node` package.
# Nothing is downloaded but npm packages and Debian packages.
ARG BASE_IMAGE=node:22-bookworm-slim

FROM --platform=linux/amd64 ${BASE_IMAGE} AS build
WORKDIR /src
RUN if ! command -v npm >/dev/null; then \
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates \
      && touch /tmp/base-has-no-node; \
    fi
COPY package.json package-lock.json ./
# The registry settings (npmrc, and a CA bundle when the registry needs one) are secrets of this
# step only: they are in no layer of the image.
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc --mount=type=secret,id=npm-ca \
    if [ -f /run/secrets/npm-ca ]; then export NPM_CONFIG_CAFILE=/run/secrets/npm-ca; fi; \
    npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN node_modules/.bin/node selfhost/build-server.ts --outdir /out/app --copy-workerd \
    && mkdir -p /out/usr-local/bin \
    && if [ -e /tmp/base-has-no-node ]; then cp node_modules/node/bin/node /out/usr-local/bin/node; fi

FROM --platform=linux/amd64 ${BASE_IMAGE}
# workerd checks the upstream's TLS certificate against the system's CA store, and refuses to start without one.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr-local/ /usr/local/
COPY --from=build /out/app/ /app/
WORKDIR /app
# Function Compute's default port; HOST and PORT are the server's settings, like every other one.
ENV HOST=0.0.0.0 PORT=9000
EXPOSE 9000
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "/app/server.js"]
