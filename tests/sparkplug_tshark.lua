-- tshark's MQTT "Message Decoding" table calls the chosen dissector without
-- saying which protobuf message the payload is, so the protobuf dissector
-- would show bare field numbers. This tiny dissector names the message
-- (mqd.spb.Payload, cli/decode/sparkplug_b.proto) in the packet's private
-- table ("pb_msg_type", which the protobuf dissector reads) and hands the
-- payload on. Used by tests/sparkplug_tshark.test.sh.
local p = Proto("spbpayload", "Sparkplug B payload")
local protobuf = Dissector.get("protobuf")
function p.dissector(tvb, pinfo, tree)
  pinfo.private["pb_msg_type"] = "message,mqd.spb.Payload"
  return protobuf:call(tvb, pinfo, tree)
end
