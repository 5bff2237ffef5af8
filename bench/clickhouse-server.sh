# Sourced by bench/clickhouse.sh and bench/clickhouse-storm.sh: a private clickhouse-server
# (Debian's 18.16) on loopback with its own data directory under $dir, on free ports.
# Sets $port (HTTP) and $tcp; start_server sets $server and waits for /ping; stop_server kills it.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port) tcp=$(free_port)
cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host><http_port>$port</http_port><tcp_port>$tcp</tcp_port>
  <path>$dir/data/</path><tmp_path>$dir/tmp/</tmp_path><user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <mark_cache_size>5368709120</mark_cache_size><max_concurrent_queries>200</max_concurrent_queries>
  <users_config>users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
XML
cat > "$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex><profiles><default></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default></default></quotas></yandex>
XML
server=
start_server() {
  /usr/sbin/clickhouse-server --config-file="$dir/config.xml" >/dev/null 2>&1 & server=$!
  local i
  for i in $(seq 600); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null && return 0; sleep 0.1; done
  echo "bench: clickhouse-server did not answer /ping within 60 s; its log:" >&2
  tail -20 "$dir"/*.log >&2 2>/dev/null || true
  return 1
}
stop_server() { kill -9 "$server"; wait "$server" 2>/dev/null || true; server=; }
