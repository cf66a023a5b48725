#!/usr/bin/perl
# Runs a command as the child of a "child subreaper" (prctl PR_SET_CHILD_SUBREAPER),
# so that every process below it that outlives its own parent is reparented here
# instead of to PID 1, and waited for. The benchmark reads this process's
# cutime/cstime (/proc/PID/stat) to get the CPU time of such processes after they exit:
# vsftpd forks two or three processes per session, and a session's processes do not
# all wait for each other, so without this their CPU would leave the tree unseen.
#
#   perl subreaper.pl SYS_prctl COMMAND [ARGS...]
#
# SYS_prctl is the prctl system call number of the machine (157 on x86-64, 167 on
# arm64). TERM, INT and HUP are passed on to COMMAND; the wrapper exits when it has
# no children left, with COMMAND's exit status.
use strict;
use warnings;
use Errno ();

my $sys_prctl = shift @ARGV;
die "usage: subreaper.pl SYS_prctl COMMAND [ARGS...]\n" unless defined $sys_prctl && @ARGV;
# PR_SET_CHILD_SUBREAPER = 36
syscall($sys_prctl + 0, 36, 1, 0, 0, 0) == 0 or die "subreaper: prctl(PR_SET_CHILD_SUBREAPER): $!\n";

my $child = fork();
die "subreaper: fork: $!\n" unless defined $child;
if ($child == 0) {
  exec { $ARGV[0] } @ARGV or die "subreaper: exec $ARGV[0]: $!\n";
}
for my $signal (qw(TERM INT HUP)) {
  $SIG{$signal} = sub { kill $signal, $child };
}
my $status = 0;
while (1) {
  my $pid = waitpid(-1, 0);
  if ($pid == -1) {
    last if $!{ECHILD};
    next;    # interrupted by a signal
  }
  $status = $? if $pid == $child;
}
exit(($status & 127) ? 128 + ($status & 127) : $status >> 8);
