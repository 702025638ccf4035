# Stand-in for registry.k8s.io/pause:3.10: one static binary that holds a network namespace, reaps orphans and
# exits on SIGINT/SIGTERM. Context: this file and `pause`, compiled from pause.c by deploy/local-images.sh.
FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]
