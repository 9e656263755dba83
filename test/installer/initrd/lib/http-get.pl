# http-get.pl URL [PROXY]: the body of an http:// URL on stdout; run with the root image's perl
# (busybox-static 1.35's wget crashes in static glibc's resolver). Follows redirects.
use strict;
use warnings;
use IO::Socket::INET;

my ($url, $proxy) = @ARGV;
$SIG{ALRM} = sub { die "timed out fetching $url\n" };
alarm 120;
for my $hop (1 .. 5) {
  my ($host, $port, $path) = $url =~ m{^http://([^/:]+)(?::(\d+))?(/.*)?$}
    or die "not an http:// URL: $url\n";
  $port ||= 80;
  $path ||= '/';
  my ($peer, $peer_port, $target) = ($host, $port, $path);
  if ($proxy) {
    ($peer, $peer_port) = $proxy =~ m{^(?:http://)?([^/:]+)(?::(\d+))?} or die "bad proxy: $proxy\n";
    $peer_port ||= 80;
    $target = $url;
  }
  my $socket = IO::Socket::INET->new(PeerAddr => $peer, PeerPort => $peer_port, Timeout => 30)
    or die "cannot connect to $peer:$peer_port: $@\n";
  my $host_header = $port == 80 ? $host : "$host:$port";
  print $socket "GET $target HTTP/1.0\r\nHost: $host_header\r\nUser-Agent: ozkit-test-installer\r\nConnection: close\r\n\r\n";
  my $status = <$socket>;
  defined $status or die "no answer from $peer:$peer_port\n";
  my ($code) = $status =~ m{^HTTP/\d\.\d (\d{3})} or die "not an HTTP answer from $peer:$peer_port\n";
  my %header;
  while (my $line = <$socket>) {
    $line =~ s/\r?\n$//;
    last if $line eq '';
    my ($name, $value) = split /:\s*/, $line, 2;
    $header{lc $name} = $value if defined $value;
  }
  if ($code =~ /^30[1278]$/ && $header{location}) {
    $url = $header{location} =~ m{^/} ? "http://$host_header$header{location}" : $header{location};
    next;
  }
  $code == 200 or die "HTTP $code for $url\n";
  binmode STDOUT;
  local $/;
  my $body = <$socket>;
  print defined $body ? $body : '';
  exit 0;
}
die "too many redirects for $ARGV[0]\n";
