# Shared by bench/run.sh and bench/failover.sh: start_static_backend WORK PORT NGINX [ADDRESS] starts one nginx worker
# serving a 1 KiB page and /health/ready from WORK/www on ADDRESS:PORT (default 127.0.0.1; pid in WORK/nginx.pid). One worker, so
# it does not take the cores the proxies are measured on; access_log off: the proxies are measured, not disk writes.
start_static_backend() {
  local work=$1 port=$2 nginx=$3 address=${4:-127.0.0.1}
  mkdir -p "$work/www/health"
  head -c 1024 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
  echo ok > "$work/www/health/ready"
  cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen $address:$port; root $work/www; }
}
NGINX
  "$nginx" -c "$work/nginx.conf" -p "$work"
}
