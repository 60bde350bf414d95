#!/usr/bin/env bash
# Print one markdown table row per capture: file, link type, packets, bytes,
# MQTT messages decoded by tshark, MQTT packets found by count_mqtt.py.
#   bash captures/tools/summarize.sh [DIR]     (default: captures/)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${1:-$HERE/..}
cd "$DIR"
echo "| file | link type | packets | bytes | MQTT (tshark) | MQTT (count_mqtt.py) |"
echo "|---|---|---|---|---|---|"
for f in *.pcap *.pcapng; do
	link=$(capinfos -T -E -r "$f" | cut -f2)
	pkts=$(capinfos -T -c -M -r "$f" | cut -f2)
	bytes=$(stat -c %s "$f")
	# tshark decodes MQTT on 1883 only by default; add 1884. Several MQTT
	# messages in one frame give a comma-separated list.
	tsh=$(tshark -r "$f" -o tcp.reassemble_out_of_order:TRUE -d tcp.port==1884,mqtt -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null |
		tr ',' '\n' | grep -c . || true)
	case $f in
	ws_*) own=$("$HERE/count_mqtt.py" "$f" ws | cut -d' ' -f1) ;;
	tls*) own="(encrypted)" ;;
	midstream.pcap) own="(starts mid-packet)" ;;
	*) own=$("$HERE/count_mqtt.py" "$f" tcp | cut -d' ' -f1) ;;
	esac
	echo "| $f | $link | $pkts | $bytes | $tsh | $own |"
done
