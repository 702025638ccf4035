# Stand-in for postgres:15 (the Docker official image), built by deploy/local-images.sh from Debian's
# postgresql-15. Same contract: POSTGRES_USER / POSTGRES_DB / POSTGRES_PASSWORD(_FILE) / POSTGRES_INITDB_ARGS /
# POSTGRES_HOST_AUTH_METHOD, PGDATA=/var/lib/postgresql/data, /docker-entrypoint-initdb.d, pg_isready on PATH,
# user postgres uid 999, SIGINT to stop (fast shutdown).
FROM debian:bookworm-slim
RUN groupadd --system --gid=999 postgres \
 && useradd --system --gid=postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres \
 && install -d -o postgres -g postgres /var/lib/postgresql \
 # Debian's package would otherwise create and start a "main" cluster at install time.
 && install -d /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" /usr/share/postgresql/15/postgresql.conf.sample \
 && install -d -m 3777 -o postgres -g postgres /var/run/postgresql /docker-entrypoint-initdb.d
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8 \
    PG_MAJOR=15
RUN install -d -m 1777 -o postgres -g postgres "$PGDATA"
VOLUME /var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
