# The manual's Tcl client (seed 002), unchanged but for taking the host and port as
# arguments, to run with tclsh against the sockit time server:
#
#   node examples/seeds/tcl-time-server.mjs 9900 &
#   tclsh examples/seeds/tcl-time-client.tcl localhost 9900
lassign $argv server port
set sockChan [socket $server $port]
gets $sockChan line1
gets $sockChan line2
close $sockChan
puts "The time on $server is $line1"
puts "That is [lindex $line2 0]s since the server started"
