#!/usr/bin/perl
# Turns a transcript of iproute2 vdpa (reference/transcripts/NN-*.txt) into
# the expected results of uvdpa, one set of files per command:
#   OUTDIR/NNN.cmd  the command line     OUTDIR/NNN.out  expected stdout
#   OUTDIR/NNN.err  expected stderr      OUTDIR/NNN.rc   expected exit status
#   OUTDIR/NNN.src  "transcript" or "override"
# The override file (same format) replaces the expected result of every
# command it lists: those are uvdpa's deliberate differences, each with a
# comment saying why. Applied to all: our program name and version, the
# vhost-user socket uvdpad reports for each device (uvdpa dev show), the
# simulators' advertisements (uvdpa mgmtdev show), and the parent uvdpa has
# beyond the kernel's simulators (blk_file, then net_tap), which follow
# vdpasim_blk in every mgmtdev dump.
# Environment: RUNDIR (uvdpad's run directory), VERSION (uvdpa's version).
use strict;
use warnings;

my ($transcript, $override, $outdir) = @ARGV;
die "usage: $0 TRANSCRIPT OVERRIDE|- OUTDIR\n" unless defined $outdir;
my $rundir = $ENV{RUNDIR} // die "RUNDIR not set\n";
my $version = $ENV{VERSION} // die "VERSION not set\n";

sub parse {
	my ($file) = @_;
	my (@blocks, $b);
	open(my $fh, '<', $file) or die "$file: $!\n";
	while (my $line = <$fh>) {
		chomp $line;
		if (!$b) {
			$b = { cmd => $1, out => [], err => [] } if $line =~ /^\$ (.*)$/;
			next;
		}
		if ($line =~ /^rc=(\d+)$/) {
			$b->{rc} = $1;
			push @blocks, $b;
			undef $b;
		} elsif ($line =~ /^stderr: (.*)$/s || $line =~ /^stderr:()$/) {
			push @{$b->{err}}, $1;
		} else {
			push @{$b->{out}}, $line;
		}
	}
	die "$file: block without rc= line\n" if $b;
	return @blocks;
}

# vdpasim_net and vdpasim_blk advertise what they accept (net: max_vqp up to
# 64 with MQ, blk: up to 64 queues; the features their devices offer), not
# the kernel's words (uvdpa(8), DIFFERENCES).
my $k_feat = 'MTU MAC STATUS CTRL_VQ CTRL_MAC_ADDR ANY_LAYOUT VERSION_1 ACCESS_PLATFORM';
my $u_feat = 'MTU MAC MRG_RXBUF STATUS CTRL_VQ MQ CTRL_MAC_ADDR ANY_LAYOUT ' .
	'RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 ACCESS_PLATFORM RING_PACKED IN_ORDER';
my $k_json = join(',', map { "\"$_\"" } split(/ /, $k_feat));
my $u_json = join(',', map { "\"$_\"" } split(/ /, $u_feat));
my $b_feat = 'SIZE_MAX SEG_MAX BLK_SIZE FLUSH TOPOLOGY MQ DISCARD WRITE_ZEROES ANY_LAYOUT ' .
	'RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 ACCESS_PLATFORM RING_PACKED';
my $b_json = join(',', map { "\"$_\"" } split(/ /, $b_feat));

sub rewrite_mgmtdev {
	my ($l) = @_;
	$l =~ s/^  max_supported_vqs 3$/  max_supported_vqs 129/;
	$l =~ s/^  dev_features \Q$k_feat\E$/  dev_features $u_feat/;
	$l =~ s/("vdpasim_net":\{"supported_classes":\["net"\],"max_supported_vqs":)3,"dev_features":\[\Q$k_json\E\]/${1}129,"dev_features":[$u_json]/g;
	$l =~ s/^(            "max_supported_vqs": )3,$/${1}129,/;
	$l =~ s/^(            "dev_features": \[ )\Q$k_json\E( \])$/$1$u_json$2/;
	# vdpasim_blk: the kernel's 0 queues and empty list only ever show there
	$l =~ s/^  max_supported_vqs 0$/  max_supported_vqs 64/;
	$l =~ s/^  dev_features$/  dev_features $b_feat/;
	$l =~ s/("vdpasim_blk":\{"supported_classes":\["block"\],"max_supported_vqs":)0,"dev_features":\[\]/${1}64,"dev_features":[$b_json]/g;
	$l =~ s/^(            "max_supported_vqs": )0,$/${1}64,/;
	$l =~ s/^(            "dev_features": \[ )\]$/$1$b_json ]/;
	return $l;
}

sub rewrite_out {
	my @out;
	my $dev;
	for my $l (@_) {
		$l =~ s/^vdpa utility, iproute2-6\.1\.0$/uvdpa utility, uvdpa-$version/;
		$l = rewrite_mgmtdev($l);
		# dev show, plain: " vhost_socket PATH" ends the line
		$l =~ s/^(\S+): (type .* max_vq_size \d+)$/$1: $2 vhost_socket $rundir\/vhost\/$1.sock/;
		# dev show, -j
		$l =~ s/"([^"]+)":\{("type":"[^"]*","mgmtdev":"[^"]*"[^{}]*,"max_vq_size":\d+)\}/"$1":{$2,"vhost_socket":"$rundir\/vhost\/$1.sock"}/g;
		# dev show, -jp
		$dev = $1 if $l =~ /^        "([^"]+)": \{$/;
		if (defined $dev && $l =~ /^            "max_vq_size": \d+$/) {
			push @out, "$l,", "            \"vhost_socket\": \"$rundir/vhost/$dev.sock\"";
			next;
		}
		push @out, $l;
	}
	return @out;
}

# blk_file after vdpasim_blk in a dump (plain, -j, -jp / -p).
my $bf_feat = '"SEG_MAX","RO","BLK_SIZE","FLUSH","TOPOLOGY","MQ","DISCARD","WRITE_ZEROES",' .
	'"ANY_LAYOUT","RING_INDIRECT_DESC","RING_EVENT_IDX","VERSION_1","ACCESS_PLATFORM",' .
	'"RING_PACKED"';
my $nt_feat = '"CSUM","GUEST_CSUM","MTU","MAC","GUEST_TSO4","GUEST_TSO6","GUEST_ECN",' .
	'"HOST_TSO4","HOST_TSO6","HOST_ECN","MRG_RXBUF","STATUS","CTRL_VQ","CTRL_RX","MQ",' .
	'"CTRL_MAC_ADDR","ANY_LAYOUT","RING_INDIRECT_DESC","RING_EVENT_IDX","VERSION_1",' .
	'"ACCESS_PLATFORM","RING_PACKED"';
sub add_blk_file {
	my ($cmd, @in) = @_;
	return @in unless $cmd =~ /^vdpa (-\S+ )*mgmt\S* (show|list|s)( -\S+)*$/;
	my (@out, $in_blk);
	for my $l (@in) {
		if ($l =~ s/("vdpasim_blk":\{[^{}]*\})\}\}$/$1,"blk_file":{"supported_classes":["block"],"max_supported_vqs":64,"dev_features":[$bf_feat]},"net_tap":{"supported_classes":["net"],"max_supported_vqs":33,"dev_features":[$nt_feat]}}}/) {
			push @out, $l;
			next;
		}
		$in_blk = 1 if $l =~ /^vdpasim_blk: $/ || $l =~ /^        "vdpasim_blk": \{$/;
		if ($in_blk && $l eq '  dev_features') {
			(my $f = $bf_feat) =~ s/"//g;
			$f =~ s/,/ /g;
			(my $g = $nt_feat) =~ s/"//g;
			$g =~ s/,/ /g;
			push @out, $l, 'blk_file: ', '  supported_classes block', '  max_supported_vqs 64',
			     "  dev_features $f", 'net_tap: ', '  supported_classes net',
			     '  max_supported_vqs 33', "  dev_features $g";
			$in_blk = 0;
			next;
		}
		if ($in_blk && $l eq '        }') {
			my $f = $bf_feat;
			push @out, '        },', '        "blk_file": {', '            "supported_classes": [ "block" ],',
			     '            "max_supported_vqs": 64,', "            \"dev_features\": [ $f ]",
			     '        },', '        "net_tap": {', '            "supported_classes": [ "net" ],',
			     '            "max_supported_vqs": 33,', "            \"dev_features\": [ $nt_feat ]",
			     '        }';
			$in_blk = 0;
			next;
		}
		push @out, $l;
	}
	return @out;
}

sub rewrite_err {
	return map {
		my $l = $_;
		$l =~ s/^Usage: vdpa /Usage: uvdpa /;
		$l =~ s/^       vdpa /       uvdpa /;
		$l =~ s/^vdpa: invalid option/uvdpa: invalid option/;
		$l;
	} @_;
}

sub write_file {
	my ($path, @lines) = @_;
	open(my $fh, '>', $path) or die "$path: $!\n";
	print $fh map { "$_\n" } @lines;
	close($fh);
}

my %ovr;
if ($override ne '-' && -e $override) {
	$ovr{$_->{cmd}} = $_ for parse($override);
}
my $n = 0;
for my $b (parse($transcript)) {
	my $src = 'transcript';
	if (my $o = $ovr{$b->{cmd}}) {
		$b = { %$o };
		$src = 'override';
	}
	my $id = sprintf("%s/%03d", $outdir, $n++);
	write_file("$id.cmd", $b->{cmd});
	write_file("$id.out", rewrite_out($src eq 'transcript' ? add_blk_file($b->{cmd}, @{$b->{out}}) :
					  @{$b->{out}}));
	write_file("$id.err", rewrite_err(@{$b->{err}}));
	write_file("$id.rc", $b->{rc});
	write_file("$id.src", $src);
}
